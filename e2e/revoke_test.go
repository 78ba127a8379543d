package e2e_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/consentry/consentry/server"
)

const revokePath = "/api/v1/revoke"

// wantBearerChallenge checks the RFC 6750 §3 challenge of an invalid_token
// response.
func wantBearerChallenge(t testing.TB, r jsonResponse) {
	t.Helper()
	want := `Bearer error="invalid_token"`
	if got := r.resp.Header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != want {
		t.Errorf("got WWW-Authenticate %q, want [%q]", got, want)
	}
}

// wantRevokedConnection checks that none of the tokens of a connection works
// any more.
func (e *env) wantRevokedConnection(refreshTokens, accessTokens []string) {
	e.t.Helper()
	for _, rt := range refreshTokens {
		wantOAuthError(e.t, e.refresh(rt), http.StatusBadRequest, "invalid_grant")
	}
	for _, at := range accessTokens {
		e.wantUserTokenRevoked(at, true)
	}
}

func TestRevokeBearerConnection(t *testing.T) {
	e := newEnv(t)
	first := e.userTokens()
	second := e.refreshOK(refreshTokenOf(first))
	access := str(second.body["access_token"])

	r := e.bearer(http.MethodDelete, revokePath, access)
	wantStatus(t, r, http.StatusNoContent)
	if r.raw != "" {
		t.Errorf("got body %q, want none", r.raw)
	}
	e.wantRevokedConnection(
		[]string{refreshTokenOf(first), refreshTokenOf(second)},
		[]string{str(first.body["access_token"]), access})

	// A retry after a lost response, and the older token of the same
	// connection, succeed again.
	wantStatus(t, e.bearer(http.MethodDelete, revokePath, access), http.StatusNoContent)
	wantStatus(t, e.bearer(http.MethodDelete, revokePath, str(first.body["access_token"])),
		http.StatusNoContent)

	// A new authorization after the revocation works.
	e.refreshOK(refreshTokenOf(e.userTokens()))
}

func TestRevokeBearerMissingHeader(t *testing.T) {
	e := newEnv(t)
	r := e.bearer(http.MethodDelete, revokePath, "")
	wantOAuthError(t, r, http.StatusBadRequest, "invalid_request")
}

// forgeries returns tokens that look like the server's access token but
// were altered, re-signed or never signed.
func forgeries(t *testing.T, genuine string) map[string]string {
	header := jwtSegment(t, genuine, 0)
	claims := jwtSegment(t, genuine, 1)
	parts := strings.Split(genuine, ".")
	with := func(m map[string]any, key string, value any) map[string]any {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		if value == nil {
			delete(c, key)
		} else {
			c[key] = value
		}
		return c
	}
	resign := func(h, c map[string]any) string {
		return forgedToken(t, h, c, foreignES256(t))
	}
	tampered := forgedToken(t, header, with(claims, "scope", "client:admin"), nil)
	hs256 := func(input []byte) []byte {
		mac := hmac.New(sha256.New, []byte("guessed secret"))
		mac.Write(input)
		return mac.Sum(nil)
	}
	return map[string]string{
		"garbage":                 "not-a-token",
		"two segments":            parts[0] + "." + parts[1],
		"empty signature":         parts[0] + "." + parts[1] + ".",
		"foreign key same kid":    resign(header, claims),
		"foreign key unknown kid": resign(with(header, "kid", "unknown"), claims),
		"foreign key no kid":      resign(with(header, "kid", nil), claims),
		"alg none":                forgedToken(t, with(header, "alg", "none"), claims, nil),
		"alg HS256":               forgedToken(t, with(header, "alg", "HS256"), claims, hs256),
		"payload tampered": strings.Join([]string{parts[0],
			strings.Split(tampered, ".")[1], parts[2]}, "."),
		"typ JWT re-signed":      resign(with(header, "typ", "JWT"), claims),
		"other issuer re-signed": resign(header, with(claims, "iss", "https://evil.example")),
	}
}

func TestRevokeBearerInvalidToken(t *testing.T) {
	e := newEnv(t)
	tokens := e.userTokens()
	genuine := str(tokens.body["access_token"])
	headers := map[string]string{
		"basic scheme":         devBasic,
		"bearer without token": "Bearer ",
		"two tokens":           "Bearer " + genuine + " " + genuine,
	}
	for name, token := range forgeries(t, genuine) {
		headers[name] = "Bearer " + token
	}
	for name, header := range headers {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodDelete, e.issuer+revokePath, nil)
			if err != nil {
				t.Fatalf("new request: %v", err)
			}
			req.Header.Set("Authorization", header)
			r := e.do(req)
			wantOAuthError(t, r, http.StatusUnauthorized, "invalid_token")
			wantBearerChallenge(t, r)
		})
	}
	// None of the attempts touched the connection.
	e.wantUserTokenRevoked(genuine, false)
	e.refreshOK(refreshTokenOf(tokens))
}

func TestRevokeBearerExpired(t *testing.T) {
	e := newEnv(t)
	tokens := e.userTokens()
	e.clock.Advance(301 * time.Second)
	r := e.bearer(http.MethodDelete, revokePath, str(tokens.body["access_token"]))
	wantOAuthError(t, r, http.StatusUnauthorized, "invalid_token")
	wantBearerChallenge(t, r)
	e.refreshOK(refreshTokenOf(tokens))
}

// TestRevokeBearerClientCredentials checks that a client-credentials token
// revokes only itself.
func TestRevokeBearerClientCredentials(t *testing.T) {
	e := newEnv(t)
	user := e.userTokens()
	revoked, kept := e.clientToken(), e.clientToken()

	wantStatus(t, e.bearer(http.MethodDelete, revokePath, revoked), http.StatusNoContent)
	r := e.bearer(http.MethodGet, "/api/v1/providers", revoked)
	wantOAuthError(t, r, http.StatusUnauthorized, "invalid_token")
	wantBearerChallenge(t, r)
	e.wantProvidersOK(kept)
	e.wantUserTokenRevoked(str(user.body["access_token"]), false)
	e.refreshOK(refreshTokenOf(user))
	wantStatus(t, e.bearer(http.MethodDelete, revokePath, revoked), http.StatusNoContent)
}

// postRevoke sends an RFC 7009 revocation as the development client.
func (e *env) postRevoke(token, hint string) jsonResponse {
	e.t.Helper()
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	return e.post(revokePath, form, server.DevClientID, server.DevClientSecret)
}

// wantRevokeOK checks the RFC 7009 §2.2 success response: 200, no body.
func wantRevokeOK(t testing.TB, r jsonResponse) {
	t.Helper()
	if r.resp.StatusCode != http.StatusOK {
		t.Errorf("got status %d, want 200; body %s", r.resp.StatusCode, r.raw)
	}
	if r.raw != "" {
		t.Errorf("got body %q, want none", r.raw)
	}
	if got := r.resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}
}
