package e2e_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/consentry/consentry/server"
	"github.com/consentry/consentry/tokens"
)

// wantUserTokenRevoked checks over HTTP whether a user's access token was
// revoked: the providers endpoint rejects a live user token with 403
// insufficient_scope and a revoked one with 401 invalid_token.
func (e *env) wantUserTokenRevoked(token string, revoked bool) {
	e.t.Helper()
	r := e.bearer(http.MethodGet, "/api/v1/providers", token)
	if revoked {
		wantOAuthError(e.t, r, http.StatusUnauthorized, "invalid_token")
	} else {
		wantOAuthError(e.t, r, http.StatusForbidden, "insufficient_scope")
	}
	e.wantAccessRevoked(token, revoked)
}

func TestCodeUnknown(t *testing.T) {
	e := newEnv(t)
	for _, code := range []string{tokens.NewSecret(), "x", "%00", "code with spaces"} {
		r := e.token(codeExchange(code))
		wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant")
	}
}

// TestCodeReplayRevokesTokens checks that a second use of a code fails and
// revokes the tokens of the first exchange (RFC 6749 §4.1.2).
func TestCodeReplayRevokesTokens(t *testing.T) {
	e := newEnv(t)
	code := e.code(url.Values{})
	first := e.exchange(code)
	refreshed := e.refreshOK(str(first.body["refresh_token"]))

	wantOAuthError(t, e.token(codeExchange(code)), http.StatusBadRequest, "invalid_grant")

	wantOAuthError(t, e.refresh(str(first.body["refresh_token"])), http.StatusBadRequest, "invalid_grant")
	wantOAuthError(t, e.refresh(str(refreshed.body["refresh_token"])), http.StatusBadRequest, "invalid_grant")
	e.wantUserTokenRevoked(str(first.body["access_token"]), true)
	e.wantUserTokenRevoked(str(refreshed.body["access_token"]), true)
}

func TestCodeExpiry(t *testing.T) {
	tests := []struct {
		name    string
		advance time.Duration
		wantOK  bool
	}{
		{"59 s", 59 * time.Second, true},
		{"60 s", 60 * time.Second, false},
		{"61 s", 61 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			code := e.code(url.Values{})
			e.clock.Advance(tt.advance)
			r := e.token(codeExchange(code))
			if tt.wantOK {
				wantStatus(t, r, http.StatusOK)
				return
			}
			wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant")
		})
	}
}

// TestCodeBindings checks that a code presented with the wrong client,
// redirect URI or PKCE verifier fails with invalid_grant and is consumed,
// so that it cannot be tried again.
func TestCodeBindings(t *testing.T) {
	verifier, challenge := pkcePair()
	pkce := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	otherVerifier, _ := pkcePair()
	tests := []struct {
		name      string
		authorize url.Values
		// present changes the exchange form. With otherClient, another
		// registered client sends it.
		present     func(url.Values)
		otherClient bool
	}{
		{"other client", url.Values{}, func(url.Values) {}, true},
		{"other redirect uri", url.Values{}, func(f url.Values) {
			f.Set("redirect_uri", server.DevRedirectURIs[1])
		}, false},
		{"redirect uri with slash", url.Values{}, func(f url.Values) {
			f.Set("redirect_uri", server.DevRedirectURIs[0]+"/")
		}, false},
		{"redirect uri with query", url.Values{}, func(f url.Values) {
			f.Set("redirect_uri", server.DevRedirectURIs[0]+"?x=1")
		}, false},
		{"wrong verifier", pkce, func(f url.Values) { f.Set("code_verifier", otherVerifier) }, false},
		{"missing verifier", pkce, func(url.Values) {}, false},
		{"malformed verifier", pkce, func(f url.Values) { f.Set("code_verifier", "short") }, false},
		{"challenge as verifier", pkce, func(f url.Values) { f.Set("code_verifier", challenge) }, false},
		{"verifier without challenge", url.Values{}, func(f url.Values) {
			f.Set("code_verifier", verifier)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			code := e.code(tt.authorize)
			form := codeExchange(code)
			tt.present(form)
			var r jsonResponse
			if tt.otherClient {
				id, secret := e.secondClient()
				r = e.post(tokenPath, form, id, secret)
			} else {
				r = e.token(form)
			}
			wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant")

			// The right request now finds the code used.
			right := codeExchange(code)
			if tt.authorize.Get("code_challenge") != "" {
				right.Set("code_verifier", verifier)
			}
			wantOAuthError(t, e.token(right), http.StatusBadRequest, "invalid_grant")
		})
	}
}

func TestCodePKCEAccepted(t *testing.T) {
	e := newEnv(t)
	verifier, challenge := pkcePair()
	code := e.code(url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}})
	form := codeExchange(code)
	form.Set("code_verifier", verifier)
	r := e.token(form)
	wantStatus(t, r, http.StatusOK)
	if str(r.body["refresh_token"]) == "" {
		t.Errorf("got no refresh_token, want one: %s", r.raw)
	}
}

// TestCodeRedirectURIMissing pins that a missing redirect_uri is a
// malformed request, rejected before the code is looked up, so the code
// stays redeemable.
func TestCodeRedirectURIMissing(t *testing.T) {
	e := newEnv(t)
	code := e.code(url.Values{})
	form := codeExchange(code)
	form.Del("redirect_uri")
	wantOAuthError(t, e.token(form), http.StatusBadRequest, "invalid_request")
	e.exchange(code)
}

// TestCodeSupersededBySignIn checks that a code of an earlier authorization
// is refused once the user has authorized the client again.
func TestCodeSupersededBySignIn(t *testing.T) {
	e := newEnv(t)
	older := e.code(url.Values{})
	newer := e.code(url.Values{})
	wantOAuthError(t, e.token(codeExchange(older)), http.StatusBadRequest, "invalid_grant")
	e.exchange(newer)
}

// TestCodeOtherRedirectURIRegistered checks the binding when the
// authorization used the second registered redirect URI.
func TestCodeOtherRedirectURIRegistered(t *testing.T) {
	e := newEnv(t)
	query := e.authorize(e.authorizeParams(url.Values{"redirect_uri": {server.DevRedirectURIs[1]}}))
	form := codeExchange(query.Get("code"))
	form.Set("redirect_uri", server.DevRedirectURIs[1])
	wantStatus(t, e.token(form), http.StatusOK)
}
