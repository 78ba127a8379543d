package e2e_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/server"
	"github.com/consentry/consentry/tokens"
)

// awkwardSecret contains characters that form-encoding changes, so that a
// server that skips the decoding of RFC 6749 §2.3.1 fails to match it.
const awkwardSecret = "p+s w%2F:x&y=z/\u00e9"

// TestClientAuthFormEncodedSecret checks that Basic credentials are
// form-decoded after base64 (RFC 6749 §2.3.1) and that client_secret_post
// reads the same secret from the body.
func TestClientAuthFormEncodedSecret(t *testing.T) {
	e := newEnv(t)
	id := "client.with~chars_1-" + tokens.NewID()
	e.createClient(consentry.Client{
		ID:         id,
		SecretHash: tokens.Hash(awkwardSecret),
		GrantTypes: []string{consentry.GrantClientCredentials},
		Scopes:     []string{consentry.ScopeClientAdmin},
	})
	rawBasic := &http.Request{Header: http.Header{}}
	rawBasic.SetBasicAuth(id, awkwardSecret)
	bodyForm := url.Values{"grant_type": {"client_credentials"}, "client_id": {id},
		"client_secret": {awkwardSecret}}

	tests := []struct {
		name       string
		req        tokenRequest
		wantStatus int
		wantError  string
	}{
		{"basic form-encoded", tokenRequest{authorization: basicHeader(id, awkwardSecret)}, 200, ""},
		{"basic not form-encoded", tokenRequest{authorization: rawBasic.Header.Get("Authorization")},
			400, "invalid_client"},
		{"client_secret_post", tokenRequest{body: bodyForm.Encode()}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.contentType = formType
			if tt.req.body == "" {
				tt.req.body = ccForm
			}
			r := tt.req.send(e)
			if tt.wantError != "" {
				wantOAuthError(t, r, tt.wantStatus, tt.wantError)
				return
			}
			wantStatus(t, r, tt.wantStatus)
			wantTokenHeaders(t, r)
		})
	}
}

// authClients registers clients limited to one authentication method and a
// public client, and returns their credentials by role.
type authClients struct {
	postOnly, postOnlySecret   string
	basicOnly, basicOnlySecret string
	public                     string
}

func newAuthClients(e *env) authClients {
	e.t.Helper()
	var c authClients
	grants := []string{consentry.GrantAuthorizationCode, consentry.GrantRefreshToken,
		consentry.GrantClientCredentials}
	scopes := append(append([]string{}, consentry.UserDataScopes...), consentry.ScopeClientAdmin)
	c.postOnly = "post-only"
	c.postOnlySecret = e.createClient(consentry.Client{ID: c.postOnly, GrantTypes: grants,
		Scopes: scopes, AuthMethods: []string{consentry.AuthMethodPost}})
	c.basicOnly = "basic-only"
	c.basicOnlySecret = e.createClient(consentry.Client{ID: c.basicOnly, GrantTypes: grants,
		Scopes: scopes, AuthMethods: []string{consentry.AuthMethodBasic}})
	c.public = "public-app"
	e.createClient(consentry.Client{ID: c.public, AuthMethods: []string{consentry.AuthMethodNone}})
	return c
}

// withForm returns a client-credentials form with extra fields.
func withForm(fields ...string) string {
	form := url.Values{"grant_type": {"client_credentials"}}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	return form.Encode()
}

func TestClientAuthRejected(t *testing.T) {
	e := newEnv(t)
	c := newAuthClients(e)
	dev, devSecret := server.DevClientID, server.DevClientSecret
	tests := []struct {
		name       string
		req        tokenRequest
		wantError  string
		wantBasic  bool
		wantStatus int
	}{
		{"basic unknown client", tokenRequest{authorization: basicHeader("nobody", devSecret)},
			"invalid_client", true, 400},
		{"basic wrong secret", tokenRequest{authorization: basicHeader(dev, "wrong")},
			"invalid_client", true, 400},
		{"basic empty secret", tokenRequest{authorization: basicHeader(dev, "")},
			"invalid_client", true, 400},
		{"body unknown client", tokenRequest{body: withForm("client_id", "nobody", "client_secret", devSecret)},
			"invalid_client", false, 400},
		{"body wrong secret", tokenRequest{body: withForm("client_id", dev, "client_secret", "wrong")},
			"invalid_client", false, 400},
		{"body empty secret", tokenRequest{body: withForm("client_id", dev, "client_secret", "")},
			"invalid_client", false, 400},
		{"confidential client id only", tokenRequest{body: withForm("client_id", dev)},
			"invalid_client", false, 400},
		{"post-only client using basic", tokenRequest{authorization: basicHeader(c.postOnly, c.postOnlySecret)},
			"invalid_client", true, 400},
		{"basic-only client using body", tokenRequest{body: withForm("client_id", c.basicOnly,
			"client_secret", c.basicOnlySecret)}, "invalid_client", false, 400},
		{"public client secret in body", tokenRequest{body: withForm("client_id", c.public,
			"client_secret", "anything")}, "invalid_client", false, 400},
		{"public client secret in basic", tokenRequest{authorization: basicHeader(c.public, "anything")},
			"invalid_client", true, 400},
		{"no credentials", tokenRequest{}, "invalid_request", false, 400},
		{"secret without id", tokenRequest{body: withForm("client_secret", devSecret)},
			"invalid_request", false, 400},
		{"empty client id", tokenRequest{body: withForm("client_id", "")}, "invalid_request", false, 400},
		{"basic plus body secret", tokenRequest{authorization: basicHeader(dev, devSecret),
			body: withForm("client_secret", devSecret)}, "invalid_request", false, 400},
		{"basic plus other body id", tokenRequest{authorization: basicHeader(dev, devSecret),
			body: withForm("client_id", c.basicOnly)}, "invalid_request", false, 400},
		{"basic not base64", tokenRequest{authorization: "Basic !!!"}, "invalid_request", false, 400},
		{"basic without colon", tokenRequest{authorization: "Basic ZGVtbw=="}, "invalid_request", false, 400},
		{"unknown scheme", tokenRequest{authorization: "Digest x"}, "invalid_request", false, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.contentType = formType
			if tt.req.body == "" {
				tt.req.body = ccForm
			}
			r := tt.req.send(e)
			wantOAuthError(t, r, tt.wantStatus, tt.wantError)
			if tt.wantBasic {
				wantBasicChallenge(t, r)
			} else {
				wantNoChallenge(t, r)
			}
		})
	}
}

func wantBasicChallenge(t testing.TB, r jsonResponse) {
	t.Helper()
	want := `Basic realm="consentry"`
	if got := r.resp.Header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != want {
		t.Errorf("got WWW-Authenticate %q, want [%q]", got, want)
	}
}

// TestClientAuthSameAnswer checks that an unknown client and a wrong secret
// get the same status, headers and body.
func TestClientAuthSameAnswer(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name            string
		unknown, wrong  tokenRequest
		wantChallenge   string
		wantChallengeOn bool
	}{
		{"basic",
			tokenRequest{authorization: basicHeader("nobody", server.DevClientSecret)},
			tokenRequest{authorization: basicHeader(server.DevClientID, "wrong-secret")},
			`Basic realm="consentry"`, true},
		{"body",
			tokenRequest{body: withForm("client_id", "nobody", "client_secret", server.DevClientSecret)},
			tokenRequest{body: withForm("client_id", server.DevClientID, "client_secret", "wrong-secret")},
			"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, req := range []*tokenRequest{&tt.unknown, &tt.wrong} {
				req.contentType = formType
				if req.body == "" {
					req.body = ccForm
				}
			}
			unknown, wrong := tt.unknown.send(e), tt.wrong.send(e)
			if unknown.resp.StatusCode != wrong.resp.StatusCode {
				t.Errorf("got status %d for an unknown client, want %d as for a wrong secret",
					unknown.resp.StatusCode, wrong.resp.StatusCode)
			}
			if unknown.raw != wrong.raw {
				t.Errorf("got body %s for an unknown client, want %s as for a wrong secret",
					unknown.raw, wrong.raw)
			}
			for _, r := range []jsonResponse{unknown, wrong} {
				if got := r.resp.Header.Get("WWW-Authenticate"); got != tt.wantChallenge {
					t.Errorf("got WWW-Authenticate %q, want %q", got, tt.wantChallenge)
				}
			}
		})
	}
}

func TestClientAuthStatus401(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.InvalidClientStatus = http.StatusUnauthorized })
	basic := tokenRequest{contentType: formType, body: ccForm,
		authorization: basicHeader(server.DevClientID, "wrong")}.send(e)
	wantOAuthError(t, basic, http.StatusUnauthorized, "invalid_client")
	wantBasicChallenge(t, basic)

	body := tokenRequest{contentType: formType,
		body: withForm("client_id", server.DevClientID, "client_secret", "wrong")}.send(e)
	wantOAuthError(t, body, http.StatusUnauthorized, "invalid_client")
	wantNoChallenge(t, body)

	// Only invalid_client changes status, so other errors keep 400.
	none := tokenRequest{contentType: formType, body: ccForm}.send(e)
	wantOAuthError(t, none, http.StatusBadRequest, "invalid_request")
}

func TestClientAuthAccepted(t *testing.T) {
	e := newEnv(t)
	c := newAuthClients(e)
	tests := []struct {
		name string
		req  tokenRequest
	}{
		{"basic", tokenRequest{authorization: devBasic}},
		{"basic lower-case scheme", tokenRequest{authorization: "basic " + devBasic[len("Basic "):]}},
		{"basic with same body id", tokenRequest{authorization: devBasic,
			body: withForm("client_id", server.DevClientID)}},
		{"client_secret_post", tokenRequest{body: withForm("client_id", server.DevClientID,
			"client_secret", server.DevClientSecret)}},
		{"post-only client", tokenRequest{body: withForm("client_id", c.postOnly,
			"client_secret", c.postOnlySecret)}},
		{"basic-only client", tokenRequest{authorization: basicHeader(c.basicOnly, c.basicOnlySecret)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.contentType = formType
			if tt.req.body == "" {
				tt.req.body = ccForm
			}
			r := tt.req.send(e)
			wantStatus(t, r, http.StatusOK)
			wantTokenHeaders(t, r)
		})
	}
}

// TestClientAuthPublicClient checks that a public client authenticates with
// its client_id alone, may redeem a PKCE code, and may not use
// client_credentials.
func TestClientAuthPublicClient(t *testing.T) {
	e := newEnv(t)
	c := newAuthClients(e)
	verifier, challenge := pkcePair()
	query := e.authorize(e.authorizeParams(url.Values{
		"client_id": {c.public}, "redirect_uri": {secondClientRedirect},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}))
	r := tokenRequest{contentType: formType, body: url.Values{
		"grant_type": {"authorization_code"}, "client_id": {c.public}, "code": {query.Get("code")},
		"redirect_uri": {secondClientRedirect}, "code_verifier": {verifier},
	}.Encode()}.send(e)
	wantStatus(t, r, http.StatusOK)
	refreshToken := str(r.body["refresh_token"])

	r = tokenRequest{contentType: formType, body: url.Values{"grant_type": {"refresh_token"},
		"client_id": {c.public}, "refresh_token": {refreshToken}}.Encode()}.send(e)
	wantStatus(t, r, http.StatusOK)

	r = tokenRequest{contentType: formType, body: withForm("client_id", c.public)}.send(e)
	wantOAuthError(t, r, http.StatusBadRequest, "unauthorized_client")
}
