package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/consentry/consentry/server"
)

// TestKeyRevokedElsewhereStopsSigning revokes the signing key through a
// second server on the same store, as `consentry keys revoke` or another
// replica does. The first server's key cache still holds the key, yet the
// next token it issues must be signed by the replacement and work, and its
// JWKS must drop the revoked key and publish the replacement.
func TestKeyRevokedElsewhereStopsSigning(t *testing.T) {
	a := newEnv(t)
	b := newEnvWithStore(t, a.store)
	revoked := tokenKeyID(t, a.clientToken())

	replacement, err := b.srv.Keys().Revoke(context.Background(), revoked)
	if err != nil {
		t.Fatalf("revoke on the other server: %v", err)
	}
	if replacement == nil {
		t.Fatal("revoking the only key created no replacement")
	}

	fresh := a.clientToken()
	if got := tokenKeyID(t, fresh); got != replacement.ID {
		t.Errorf("token issued after the revocation: signed by %s, want the replacement %s",
			got, replacement.ID)
	}
	if got := a.providersStatus(fresh); got != http.StatusOK {
		t.Errorf("providers with the token issued after the revocation: got status %d, want 200",
			got)
	}
	published := jwksKeyIDs(a.bearer(http.MethodGet, "/.well-known/jwks.json", "").body)
	if slices.Contains(published, revoked) {
		t.Errorf("JWKS after the revocation: got %v, want the revoked key %s left out",
			published, revoked)
	}
	if !slices.Contains(published, replacement.ID) {
		t.Errorf("JWKS after the revocation: got %v, want the replacement %s", published,
			replacement.ID)
	}
}

// inactiveBody is the only introspection answer for anything but a live
// token of the calling client (RFC 7662 §2.2).
const inactiveBody = `{"active":false}`

// wantInactive checks an introspection answer for exactly inactiveBody.
func wantInactive(t *testing.T, r jsonResponse) {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if got := strings.TrimSpace(r.raw); got != inactiveBody {
		t.Errorf("got introspection %s, want exactly %s", got, inactiveBody)
	}
}

// TestIntrospectionInactiveCases introspects tokens that are no longer live
// in every way the server knows, each as the development client.
func TestIntrospectionInactiveCases(t *testing.T) {
	tests := []struct {
		name string
		// token sets the server up and returns the token to introspect.
		token func(t *testing.T, e *env) string
	}{
		{"expired access token", func(t *testing.T, e *env) string {
			access := str(e.userTokens().body["access_token"])
			e.clock.Advance(301 * time.Second)
			return access
		}},
		{"expired refresh token", func(t *testing.T, e *env) string {
			refresh := str(e.userTokens().body["refresh_token"])
			e.clock.Advance(31 * 24 * time.Hour)
			return refresh
		}},
		{"refresh token superseded by a new sign-in", func(t *testing.T, e *env) string {
			refresh := str(e.userTokens().body["refresh_token"])
			e.userTokens()
			return refresh
		}},
		{"refresh token of a replayed code", func(t *testing.T, e *env) string {
			code := e.code(nil)
			refresh := str(e.exchange(code).body["refresh_token"])
			wantStatus(t, e.token(codeExchange(code)), http.StatusBadRequest)
			return refresh
		}},
		{"authorization code", func(t *testing.T, e *env) string {
			return e.code(nil)
		}},
		{"revoked client-credentials token", func(t *testing.T, e *env) string {
			access := e.clientToken()
			wantStatus(t, e.bearer(http.MethodDelete, "/api/v1/revoke", access), http.StatusNoContent)
			return access
		}},
		{"access token whose key was revoked elsewhere", func(t *testing.T, e *env) string {
			access := str(e.userTokens().body["access_token"])
			other := newEnvWithStore(t, e.store)
			if _, err := other.srv.Keys().Revoke(context.Background(), tokenKeyID(t, access)); err != nil {
				t.Fatalf("revoke the key: %v", err)
			}
			return access
		}},
		{"access token of a client deleted and registered again", func(t *testing.T, e *env) string {
			ctx := context.Background()
			access := str(e.userTokens().body["access_token"])
			client, err := e.store.GetClient(ctx, server.DevClientID)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.store.DeleteClient(ctx, server.DevClientID); err != nil {
				t.Fatalf("delete client: %v", err)
			}
			if err := e.store.CreateClient(ctx, client); err != nil {
				t.Fatalf("register the client again: %v", err)
			}
			return access
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			token := tt.token(t, e)
			wantInactive(t, e.introspect(token, server.DevClientID, server.DevClientSecret))
			for _, hint := range []string{"access_token", "refresh_token", "no_such_type"} {
				r := e.post("/api/v1/introspect", url.Values{"token": {token},
					"token_type_hint": {hint}}, server.DevClientID, server.DevClientSecret)
				wantInactive(t, r)
			}
			body, err := json.Marshal(map[string]string{"token": token})
			if err != nil {
				t.Fatal(err)
			}
			wantInactive(t, tokenRequest{path: "/api/v1/introspect", contentType: "application/json",
				body: string(body), authorization: devBasic}.send(e))
		})
	}
}

// TestDeleteRevokeKeyRevokedElsewhere sends DELETE /api/v1/revoke with an
// access token whose signing key another server revoked. The token no longer
// authenticates, so the answer is 401 invalid_token on every server, and
// never 204, which would tell the client that its connection was revoked
// while its refresh token still works.
func TestDeleteRevokeKeyRevokedElsewhere(t *testing.T) {
	a := newEnv(t)
	b := newEnvWithStore(t, a.store)
	pair := a.userTokens()
	access := str(pair.body["access_token"])
	if _, err := b.srv.Keys().Revoke(context.Background(), tokenKeyID(t, access)); err != nil {
		t.Fatalf("revoke on the other server: %v", err)
	}

	for name, e := range map[string]*env{"stale key cache": a, "fresh key cache": b} {
		r := e.bearer(http.MethodDelete, "/api/v1/revoke", access)
		if r.resp.StatusCode != http.StatusUnauthorized || str(r.body["error"]) != "invalid_token" {
			t.Errorf("%s: got status %d, body %s; want 401 invalid_token", name,
				r.resp.StatusCode, r.raw)
		}
	}
	wantStatus(t, a.refresh(str(pair.body["refresh_token"])), http.StatusOK)
}

// metricsText returns the /metrics page.
func (e *env) metricsText() string {
	e.t.Helper()
	resp, err := http.Get(e.issuer + "/metrics")
	if err != nil {
		e.t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read /metrics: %v", err)
	}
	return string(body)
}

// TestMetricsScrapeHasItsRoute scrapes /metrics on the main listener: the
// scrapes are counted under their own route, not with the unmatched paths.
func TestMetricsScrapeHasItsRoute(t *testing.T) {
	e := newEnv(t)
	e.metricsText()
	text := e.metricsText()
	if want := `consentry_http_requests_total{route="GET /metrics",status="200"} 1`; !strings.Contains(text, want) {
		t.Errorf("metrics lack %s", want)
	}
	if unwanted := `consentry_http_requests_total{route="unmatched",status="200"}`; strings.Contains(text, unwanted) {
		t.Errorf("metrics count scrapes as %s, want them under their own route", unwanted)
	}
}

// TestLoopbackOddHostsRejected sends redirect URIs that a lenient parser
// would read as the public client's registered http://127.0.0.1/callback
// on another port. Only the port may vary (RFC 8252 §7.3), so each gets the
// error page and no redirect.
func TestLoopbackOddHostsRejected(t *testing.T) {
	e := newEnv(t)
	cfg := newPublicClient(e, "http://127.0.0.1:5000/callback")
	uris := []string{
		"http://127.000.000.001:5000/callback", "http://[::ffff:127.0.0.1]:5000/callback",
		"http://127.0.0.1.nip.io:5000/callback", "HTTP://127.0.0.1:5000/callback",
		"http://127.0.0.1:5000%2Fcallback", "http://127.0.0.1:5000/callback%2F",
		"http://127.0.0.1:0/callback", "http://127.0.0.1:65536/callback",
		"http://127.0.0.1:05000/callback", "http://127.0.0.1:+5000/callback",
		"http://127.1:5000/callback", "http://2130706433:5000/callback",
		"http://[::1%25lo]:5000/callback", "http://[0:0:0:0:0:0:0:1]:5000/callback",
		"http://u@127.0.0.1:5000/callback", "http://127.0.0.1:5000\\@evil.example/callback",
		"http://127.0.0.1:5000/callback#", "http://127.0.0.1:5000/./callback",
	}
	for _, uri := range uris {
		t.Run(uri, func(t *testing.T) {
			cfg.RedirectURL = uri
			p := e.newBrowser().get(cfg.AuthCodeURL("st",
				oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
				oauth2.SetAuthURLParam("provider_id", "1000")))
			if p.resp.StatusCode != http.StatusBadRequest {
				t.Errorf("got status %d, want the 400 error page", p.resp.StatusCode)
			}
			if location := p.resp.Header.Get("Location"); location != "" {
				t.Errorf("redirected to %q, want no redirect", location)
			}
		})
	}
}

// TestLoopbackExchangeOtherPort redeems a native app's code with another
// loopback port than the authorization request used: redirect_uri must
// equal that request's exactly (RFC 6749 §4.1.3), so the code fails and is
// used up.
func TestLoopbackExchangeOtherPort(t *testing.T) {
	e := newEnv(t)
	cfg := newPublicClient(e, "http://127.0.0.1:5000/callback")
	verifier := oauth2.GenerateVerifier()
	code := e.approve(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("provider_id", "1000")), cfg.RedirectURL).Get("code")

	other := *cfg
	other.RedirectURL = "http://127.0.0.1:5001/callback"
	_, err := other.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	wantRetrieveError(t, err, "invalid_grant")
	_, err = cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	wantRetrieveError(t, err, "invalid_grant")
}

// TestClientAuthSecretMismatch sends secrets from a public client and none
// from a confidential one. Both fail with invalid_client before the code is
// looked at, so the code still works with the right authentication.
func TestClientAuthSecretMismatch(t *testing.T) {
	e := newEnv(t)
	cfg := newPublicClient(e, "http://127.0.0.1:5000/callback")
	verifier := oauth2.GenerateVerifier()
	publicCode := e.approve(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("provider_id", "1000")), cfg.RedirectURL).Get("code")
	confidentialCode := e.code(nil)

	publicForm := url.Values{"grant_type": {"authorization_code"}, "code": {publicCode},
		"redirect_uri": {cfg.RedirectURL}, "code_verifier": {verifier}}
	withID := func(form url.Values, pairs ...string) string {
		out := url.Values{}
		for name, values := range form {
			out[name] = values
		}
		for i := 0; i+1 < len(pairs); i += 2 {
			out.Set(pairs[i], pairs[i+1])
		}
		return out.Encode()
	}
	tests := []struct {
		name string
		req  tokenRequest
	}{
		{"public client with a secret in the body", tokenRequest{
			body: withID(publicForm, "client_id", cfg.ClientID, "client_secret", "guess")}},
		{"public client with an empty secret in the body", tokenRequest{
			body: withID(publicForm, "client_id", cfg.ClientID, "client_secret", "")}},
		{"public client with Basic and an empty secret", tokenRequest{
			body: withID(publicForm), authorization: basicHeader(cfg.ClientID, "")}},
		{"confidential client with its id alone", tokenRequest{
			body: withID(codeExchange(confidentialCode), "client_id", server.DevClientID)}},
		{"confidential client with an empty secret", tokenRequest{
			body: withID(codeExchange(confidentialCode), "client_id", server.DevClientID,
				"client_secret", "")}},
		{"confidential client with Basic and an empty secret", tokenRequest{
			body: withID(codeExchange(confidentialCode)), authorization: basicHeader(server.DevClientID, "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.contentType = "application/x-www-form-urlencoded"
			wantOAuthError(t, tt.req.send(e), http.StatusBadRequest, "invalid_client")
		})
	}

	if _, err := cfg.Exchange(context.Background(), publicCode, oauth2.VerifierOption(verifier)); err != nil {
		t.Errorf("public client's code after the rejected requests: %v", err)
	}
	wantStatus(t, e.token(codeExchange(confidentialCode)), http.StatusOK)
}
