package e2e_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/consentry/consentry/tokens"
)

var revokeHints = []string{"", "access_token", "refresh_token"}

// TestRevokeUnknownToken checks that RFC 7009 revocation returns 200 for a
// token the server does not know, whatever the hint (RFC 7009 §2.2).
func TestRevokeUnknownToken(t *testing.T) {
	e := newEnv(t)
	user := e.userTokens()
	unknown := map[string]string{
		"random":       tokens.NewSecret(),
		"not a jwt":    "a.b.c",
		"forged":       forgeries(t, str(user.body["access_token"]))["foreign key same kid"],
		"single char":  "x",
		"with a space": "two words",
	}
	for name, token := range unknown {
		for _, hint := range revokeHints {
			t.Run(name+"/hint "+hint, func(t *testing.T) {
				wantRevokeOK(t, e.postRevoke(token, hint))
			})
		}
	}
	e.refreshOK(refreshTokenOf(user))
}

// TestRevokeConnectionByToken checks that revoking either token of a
// connection revokes the whole connection, whatever the hint, since a
// supported hint naming the wrong type only slows the lookup.
func TestRevokeConnectionByToken(t *testing.T) {
	for _, kind := range []string{"access_token", "refresh_token"} {
		for _, hint := range revokeHints {
			t.Run(kind+"/hint "+hint, func(t *testing.T) {
				e := newEnv(t)
				first := e.userTokens()
				second := e.refreshOK(refreshTokenOf(first))
				wantRevokeOK(t, e.postRevoke(str(second.body[kind]), hint))
				e.wantRevokedConnection(
					[]string{refreshTokenOf(first), refreshTokenOf(second)},
					[]string{str(first.body["access_token"]), str(second.body["access_token"])})
				wantRevokeOK(t, e.postRevoke(str(second.body[kind]), hint))
			})
		}
	}
}

// TestRevokeUsedRefreshToken checks that revoking an already rotated refresh
// token also ends the connection, as a client that logs a user out with
// whatever token it kept would expect.
func TestRevokeUsedRefreshToken(t *testing.T) {
	e := newEnv(t)
	first := e.userTokens()
	second := e.refreshOK(refreshTokenOf(first))
	wantRevokeOK(t, e.postRevoke(refreshTokenOf(first), "refresh_token"))
	e.wantRevokedConnection([]string{refreshTokenOf(second)}, []string{str(second.body["access_token"])})
}

// TestRevokeOtherClientsToken checks that a client cannot revoke, or learn
// anything about, another client's tokens.
func TestRevokeOtherClientsToken(t *testing.T) {
	e := newEnv(t)
	id, secret := e.secondClient("authorization_code", "refresh_token", "client_credentials")
	theirs := e.tokensOf(id, secret)
	cc := e.post(tokenPath, url.Values{"grant_type": {"client_credentials"}}, id, secret)
	wantStatus(t, cc, http.StatusOK)
	theirCC := str(cc.body["access_token"])
	for _, hint := range revokeHints {
		wantRevokeOK(t, e.postRevoke(theirCC, hint))
	}
	e.wantProvidersOK(theirCC)
	for _, kind := range []string{"access_token", "refresh_token"} {
		for _, hint := range revokeHints {
			t.Run(kind+"/hint "+hint, func(t *testing.T) {
				wantRevokeOK(t, e.postRevoke(str(theirs.body[kind]), hint))
			})
		}
	}
	e.wantUserTokenRevoked(str(theirs.body["access_token"]), false)
	r := e.post(tokenPath, refreshForm(refreshTokenOf(theirs), ""), id, secret)
	wantStatus(t, r, http.StatusOK)
}

// TestRevokeUnsupportedHint checks that a hint naming a type the server
// does not revoke is rejected before the token is looked at, so the response
// is the same for a live token and an unknown one.
func TestRevokeUnsupportedHint(t *testing.T) {
	e := newEnv(t)
	user := e.userTokens()
	cases := map[string]string{
		"live access token":  str(user.body["access_token"]),
		"live refresh token": refreshTokenOf(user),
		"unknown token":      tokens.NewSecret(),
	}
	var bodies []string
	for name, token := range cases {
		for _, hint := range []string{"id_token", "Access_Token", "refresh_token ", "device_code"} {
			t.Run(name+"/"+hint, func(t *testing.T) {
				r := e.postRevoke(token, hint)
				wantOAuthError(t, r, http.StatusBadRequest, "unsupported_token_type")
				if hint == "id_token" {
					bodies = append(bodies, r.raw)
				}
			})
		}
	}
	for _, body := range bodies[1:] {
		if body != bodies[0] {
			t.Errorf("got body %s, want the same body %s for every token", body, bodies[0])
		}
	}
	e.wantUserTokenRevoked(str(user.body["access_token"]), false)
	e.refreshOK(refreshTokenOf(user))
}

// TestRevokeClientCredentialsToken checks that revoking a
// client-credentials token revokes only that token.
func TestRevokeClientCredentialsToken(t *testing.T) {
	for _, hint := range revokeHints {
		t.Run("hint "+hint, func(t *testing.T) {
			e := newEnv(t)
			user := e.userTokens()
			revoked, kept := e.clientToken(), e.clientToken()
			wantRevokeOK(t, e.postRevoke(revoked, hint))
			wantOAuthError(t, e.bearer(http.MethodGet, "/api/v1/providers", revoked),
				http.StatusUnauthorized, "invalid_token")
			e.wantProvidersOK(kept)
			e.wantUserTokenRevoked(str(user.body["access_token"]), false)
			e.refreshOK(refreshTokenOf(user))
		})
	}
}

// TestRevokeExpiredAccessToken checks that revoking an expired access token
// returns 200 and leaves its connection alone, because it can no longer be
// verified.
func TestRevokeExpiredAccessToken(t *testing.T) {
	e := newEnv(t)
	user := e.userTokens()
	e.clock.Advance(301 * time.Second)
	wantRevokeOK(t, e.postRevoke(str(user.body["access_token"]), ""))
	e.refreshOK(refreshTokenOf(user))
}

func TestRevokeRequestErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name       string
		req        tokenRequest
		wantStatus int
		wantError  string
	}{
		{"missing token", tokenRequest{body: "token_type_hint=access_token"}, 400, "invalid_request"},
		{"empty token", tokenRequest{body: "token="}, 400, "invalid_request"},
		{"repeated token", tokenRequest{body: "token=a&token=b"}, 400, "invalid_request"},
		{"token in query", tokenRequest{query: "token=a", body: "token=a"}, 400, "invalid_request"},
		{"no credentials", tokenRequest{authorization: "-", body: "token=a"}, 400, "invalid_request"},
		{"wrong secret", tokenRequest{authorization: basicHeader("demo-recipient", "wrong"),
			body: "token=a"}, 400, "invalid_client"},
		{"text plain", tokenRequest{contentType: "text/plain", body: "token=a"}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.path = revokePath
			switch tt.req.authorization {
			case "":
				tt.req.authorization = devBasic
			case "-":
				tt.req.authorization = ""
			}
			if tt.req.contentType == "" {
				tt.req.contentType = formType
			}
			wantOAuthError(t, tt.req.send(e), tt.wantStatus, tt.wantError)
		})
	}
}

// TestRevokeJSONBody checks that the revocation endpoint reads a JSON body
// like the token endpoint.
func TestRevokeJSONBody(t *testing.T) {
	e := newEnv(t)
	user := e.userTokens()
	r := tokenRequest{path: revokePath, contentType: jsonType, authorization: devBasic,
		body: `{"token":"` + refreshTokenOf(user) + `","token_type_hint":"refresh_token"}`}.send(e)
	wantRevokeOK(t, r)
	e.wantRevokedConnection([]string{refreshTokenOf(user)}, []string{str(user.body["access_token"])})
}
