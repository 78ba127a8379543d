package e2e_test

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"testing"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/server"
)

// bodyKeys returns the member names of a JSON object, sorted.
func bodyKeys(body map[string]any) []string {
	var keys []string
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestTokenResponseMembers(t *testing.T) {
	e := newEnv(t)
	first := e.userTokens()
	refreshed := e.refreshOK(str(first.body["refresh_token"]))
	cc := e.token(url.Values{"grant_type": {"client_credentials"}})
	wantStatus(t, cc, http.StatusOK)

	userKeys := []string{"access_token", "connection_id", "expires_in", "provider_id",
		"refresh_token", "scope", "token_type"}
	tests := []struct {
		name      string
		r         jsonResponse
		wantKeys  []string
		wantScope string
	}{
		{"authorization_code", first, userKeys, "ACCOUNT_BASIC TRANSACTIONS"},
		{"refresh_token", refreshed, userKeys, "ACCOUNT_BASIC TRANSACTIONS"},
		{"client_credentials", cc, []string{"access_token", "expires_in", "scope", "token_type"},
			"client:admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantTokenHeaders(t, tt.r)
			if got := bodyKeys(tt.r.body); !slices.Equal(got, tt.wantKeys) {
				t.Errorf("got members %q, want %q", got, tt.wantKeys)
			}
			if got := str(tt.r.body["token_type"]); got != "Bearer" {
				t.Errorf("got token_type %q, want Bearer", got)
			}
			if got, _ := tt.r.body["expires_in"].(float64); got != 300 {
				t.Errorf("got expires_in %v, want 300", tt.r.body["expires_in"])
			}
			if got := str(tt.r.body["scope"]); got != tt.wantScope {
				t.Errorf("got scope %q, want %q", got, tt.wantScope)
			}
			if _, ok := tt.r.body["connection_id"]; ok {
				if got := str(tt.r.body["provider_id"]); got != server.DevProviderID {
					t.Errorf("got provider_id %q, want %s", got, server.DevProviderID)
				}
			}
		})
	}
	if a, b := str(first.body["connection_id"]), str(refreshed.body["connection_id"]); a == "" || a != b {
		t.Errorf("got connection_id %q after refresh, want %q", b, a)
	}
}

func TestAccessTokenFormat(t *testing.T) {
	e := newEnv(t)
	kids := e.jwksKeyIDs()
	user := str(e.userTokens().body["access_token"])
	cc := e.clientToken()
	iat := float64(e.clock.Now().Unix())
	tests := []struct {
		name      string
		token     string
		wantSub   func(string) bool
		wantScope string
	}{
		{"user", user, func(sub string) bool { return sub != "" && sub != server.DevClientID },
			"ACCOUNT_BASIC TRANSACTIONS"},
		{"client credentials", cc, func(sub string) bool { return sub == server.DevClientID },
			"client:admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := jwtSegment(t, tt.token, 0)
			if got := str(header["typ"]); got != "at+jwt" {
				t.Errorf("got typ %q, want at+jwt", got)
			}
			if got := str(header["alg"]); got != "ES256" {
				t.Errorf("got alg %q, want ES256", got)
			}
			if kid := str(header["kid"]); !slices.Contains(kids, kid) {
				t.Errorf("got kid %q, want one of the JWKS %q", kid, kids)
			}
			claims := jwtSegment(t, tt.token, 1)
			wantClaims(t, claims, e.issuer, iat)
			if sub := str(claims["sub"]); !tt.wantSub(sub) {
				t.Errorf("got sub %q, want a %s subject", sub, tt.name)
			}
			if got := str(claims["scope"]); got != tt.wantScope {
				t.Errorf("got scope %q, want %q", got, tt.wantScope)
			}
		})
	}
	if a, b := str(jwtSegment(t, user, 1)["jti"]), str(jwtSegment(t, cc, 1)["jti"]); a == b {
		t.Errorf("got jti %q twice, want a new one per token", a)
	}
}

// wantClaims checks the RFC 9068 claims that every access token carries.
func wantClaims(t *testing.T, claims map[string]any, issuer string, iat float64) {
	t.Helper()
	if got := str(claims["iss"]); got != issuer {
		t.Errorf("got iss %q, want %q", got, issuer)
	}
	if got := str(claims["client_id"]); got != server.DevClientID {
		t.Errorf("got client_id %q, want %s", got, server.DevClientID)
	}
	aud := claims["aud"]
	if list, ok := aud.([]any); ok && len(list) == 1 {
		aud = list[0]
	}
	if aud != issuer {
		t.Errorf("got aud %v, want %q", claims["aud"], issuer)
	}
	if got, _ := claims["iat"].(float64); got != iat {
		t.Errorf("got iat %v, want %v", claims["iat"], iat)
	}
	if got, _ := claims["exp"].(float64); got != iat+300 {
		t.Errorf("got exp %v, want iat+300 = %v", claims["exp"], iat+300)
	}
	if str(claims["jti"]) == "" {
		t.Error("got no jti, want one")
	}
}

// TestSubjectPairwise checks that sub stays the same for one connection and
// differs between two clients of the same user.
func TestSubjectPairwise(t *testing.T) {
	e := newEnv(t)
	subOf := func(r jsonResponse) string {
		t.Helper()
		return str(jwtSegment(t, str(r.body["access_token"]), 1)["sub"])
	}
	first := e.userTokens()
	sub := subOf(first)
	refreshed := e.refreshOK(str(first.body["refresh_token"]))
	if got := subOf(refreshed); got != sub {
		t.Errorf("got sub %q after refresh, want %q", got, sub)
	}
	if got := subOf(e.refreshOK(str(refreshed.body["refresh_token"]))); got != sub {
		t.Errorf("got sub %q after a second refresh, want %q", got, sub)
	}
	if got := subOf(e.userTokens()); got != sub {
		t.Errorf("got sub %q after a new sign-in, want %q", got, sub)
	}

	id, secret := e.secondClient()
	other := e.tokensOf(id, secret)
	if got := subOf(other); got == sub || got == "" {
		t.Errorf("got sub %q for another client, want a subject other than %q", got, sub)
	}
	if got := str(jwtSegment(t, str(other.body["access_token"]), 1)["client_id"]); got != id {
		t.Errorf("got client_id %q, want %s", got, id)
	}
}

func TestClientCredentialsGrant(t *testing.T) {
	e := newEnv(t)
	userOnly := e.createClient(consentry.Client{ID: "user-scopes-only",
		GrantTypes: []string{consentry.GrantClientCredentials}})
	noGrant := e.createClient(consentry.Client{ID: "no-cc-grant",
		Scopes: append(append([]string{}, consentry.UserDataScopes...), consentry.ScopeClientAdmin)})
	tests := []struct {
		name       string
		id, secret string
		form       url.Values
		wantError  string
		wantScope  string
	}{
		{"no scope", "", "", url.Values{}, "", "client:admin"},
		{"empty scope", "", "", url.Values{"scope": {""}}, "", "client:admin"},
		{"management scope", "", "", url.Values{"scope": {"client:admin"}}, "", "client:admin"},
		{"user-data scope", "", "", url.Values{"scope": {"ACCOUNT_BASIC"}}, "invalid_scope", ""},
		{"mixed scopes", "", "", url.Values{"scope": {"client:admin TRANSACTIONS"}}, "invalid_scope", ""},
		{"unknown scope", "", "", url.Values{"scope": {"client:root"}}, "invalid_scope", ""},
		{"no management scope", "user-scopes-only", userOnly, url.Values{}, "invalid_scope", ""},
		{"no management scope asked", "user-scopes-only", userOnly,
			url.Values{"scope": {"client:admin"}}, "invalid_scope", ""},
		{"grant not registered", "no-cc-grant", noGrant, url.Values{}, "unauthorized_client", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, secret := server.DevClientID, server.DevClientSecret
			if tt.id != "" {
				id, secret = tt.id, tt.secret
			}
			tt.form.Set("grant_type", "client_credentials")
			r := e.post(tokenPath, tt.form, id, secret)
			if tt.wantError != "" {
				wantOAuthError(t, r, http.StatusBadRequest, tt.wantError)
				return
			}
			wantStatus(t, r, http.StatusOK)
			if got := str(r.body["scope"]); got != tt.wantScope {
				t.Errorf("got scope %q, want %q", got, tt.wantScope)
			}
		})
	}
}

func TestTokenGrantType(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name      string
		form      url.Values
		wantError string
	}{
		{"missing", url.Values{}, "invalid_request"},
		{"empty", url.Values{"grant_type": {""}}, "invalid_request"},
		{"password", url.Values{"grant_type": {"password"}}, "unsupported_grant_type"},
		{"implicit", url.Values{"grant_type": {"implicit"}}, "unsupported_grant_type"},
		{"device code", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}},
			"unsupported_grant_type"},
		{"other case", url.Values{"grant_type": {"Client_Credentials"}}, "unsupported_grant_type"},
		{"trailing space", url.Values{"grant_type": {"client_credentials "}}, "unsupported_grant_type"},
		{"code missing", url.Values{"grant_type": {"authorization_code"},
			"redirect_uri": {server.DevRedirectURIs[0]}}, "invalid_request"},
		{"refresh token missing", url.Values{"grant_type": {"refresh_token"}}, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantOAuthError(t, e.token(tt.form), http.StatusBadRequest, tt.wantError)
		})
	}
}

func TestTokenEndpointWrongMethod(t *testing.T) {
	e := newEnv(t)
	r := e.bearer(http.MethodGet, "/api/v1/token", "")
	if r.resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/v1/token: got status %d, want 405", r.resp.StatusCode)
	}
	if got := r.resp.Header.Get("Allow"); got != "POST" {
		t.Errorf("got Allow %q, want POST", got)
	}
	if got := r.resp.Header.Get("X-Request-Id"); got == "" {
		t.Error("405 answer has no X-Request-Id")
	}
}
