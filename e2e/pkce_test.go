package e2e_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/consentry/consentry"
)

// newPublicClient registers a public client with loopback and localhost
// redirect URIs and returns its oauth2 configuration for redirectURL.
func newPublicClient(e *env, redirectURL string) *oauth2.Config {
	e.t.Helper()
	id := "native-app"
	e.createClient(consentry.Client{
		ID:           id,
		Name:         "Native App",
		AuthMethods:  []string{consentry.AuthMethodNone},
		RedirectURIs: []string{"http://127.0.0.1/callback", "http://[::1]/callback", "http://localhost/callback"},
	})
	return &oauth2.Config{
		ClientID: id,
		Endpoint: oauth2.Endpoint{
			AuthURL:   e.issuer + "/api/v1/authorize",
			TokenURL:  e.issuer + "/api/v1/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirectURL,
		Scopes:      []string{"ACCOUNT_BASIC"},
	}
}

// approve runs sign-in and consent for an authorization URL and returns the
// query of the redirect.
func (e *env) approve(authURL, redirectURI string) url.Values {
	e.t.Helper()
	b := e.newBrowser()
	signInPage := b.get(authURL)
	if signInPage.resp.StatusCode != http.StatusOK {
		e.t.Fatalf("authorize: got status %d, want 200:\n%s", signInPage.resp.StatusCode, signInPage.body)
	}
	after := b.submit(e.issuer, signInPage, url.Values{"username": {"demo"}, "password": {"demo"}})
	consent := b.get(e.issuer + after.resp.Header.Get("Location"))
	return redirectQuery(e.t, b.submit(e.issuer, consent, url.Values{"decision": {"approve"}}), redirectURI)
}

func TestPKCEPublicClientLoopbackPort(t *testing.T) {
	for _, redirect := range []string{"http://127.0.0.1:51234/callback", "http://[::1]:8765/callback"} {
		t.Run(redirect, func(t *testing.T) {
			e := newEnv(t)
			cfg := newPublicClient(e, redirect)
			verifier := oauth2.GenerateVerifier()
			authURL := cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier),
				oauth2.SetAuthURLParam("provider_id", "1000"))
			query := e.approve(authURL, redirect)

			tok, err := cfg.Exchange(context.Background(), query.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange with the verifier: %v", err)
			}
			if tok.RefreshToken == "" {
				t.Error("public client got no refresh token")
			}
		})
	}
}

func TestPKCEWrongVerifierConsumesCode(t *testing.T) {
	e := newEnv(t)
	redirect := "http://127.0.0.1:40000/callback"
	cfg := newPublicClient(e, redirect)
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("provider_id", "1000"))
	code := e.approve(authURL, redirect).Get("code")

	_, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	wantRetrieveError(t, err, "invalid_grant")
	_, err = cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	wantRetrieveError(t, err, "invalid_grant")
}

func TestPKCEVerifierRules(t *testing.T) {
	tests := []struct {
		name     string
		verifier string
	}{
		{"missing", ""},
		{"too short", strings.Repeat("a", 42)},
		{"too long", strings.Repeat("a", 129)},
		{"bad character", strings.Repeat("a", 42) + "!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			redirect := "http://127.0.0.1:40000/callback"
			cfg := newPublicClient(e, redirect)
			authURL := cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
				oauth2.SetAuthURLParam("provider_id", "1000"))
			code := e.approve(authURL, redirect).Get("code")
			var opts []oauth2.AuthCodeOption
			if tt.verifier != "" {
				opts = append(opts, oauth2.VerifierOption(tt.verifier))
			}
			_, err := cfg.Exchange(context.Background(), code, opts...)
			wantRetrieveError(t, err, "invalid_grant")
		})
	}
}

func TestPKCEVerifierWithoutChallenge(t *testing.T) {
	e := newEnv(t)
	code := e.code(nil)
	r := e.token(url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {"http://127.0.0.1:8081/callback"}, "code_verifier": {oauth2.GenerateVerifier()}})
	wantError(t, r, http.StatusBadRequest, "invalid_grant")
}

func TestPKCERequiredForPublicClient(t *testing.T) {
	e := newEnv(t)
	redirect := "http://127.0.0.1:40000/callback"
	cfg := newPublicClient(e, redirect)
	b := e.newBrowser()
	p := b.get(cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("provider_id", "1000")))
	query := redirectQuery(t, p, redirect)
	if got := query.Get("error"); got != "invalid_request" {
		t.Errorf("public client without PKCE: got error %q, want invalid_request", got)
	}
	p = b.get(cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("provider_id", "1000"),
		oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)),
		oauth2.SetAuthURLParam("code_challenge_method", "plain")))
	if got := redirectQuery(t, p, redirect).Get("error"); got != "invalid_request" {
		t.Errorf("plain method: got error %q, want invalid_request", got)
	}
}

func TestLoopbackExceptionLimits(t *testing.T) {
	tests := []struct {
		name     string
		redirect string
	}{
		{"localhost other port", "http://localhost:40000/callback"},
		{"path differs", "http://127.0.0.1:40000/callback/"},
		{"https", "https://127.0.0.1:40000/callback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			cfg := newPublicClient(e, tt.redirect)
			p := e.newBrowser().get(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
				oauth2.SetAuthURLParam("provider_id", "1000")))
			if p.resp.StatusCode != http.StatusBadRequest {
				t.Errorf("got status %d, want the 400 error page", p.resp.StatusCode)
			}
			if loc := p.resp.Header.Get("Location"); loc != "" {
				t.Errorf("redirected to %q, want no redirect", loc)
			}
		})
	}
}

func TestLoopbackExceptionConfidentialClient(t *testing.T) {
	e := newEnv(t)
	// The development client is confidential: its loopback URI matches only
	// with the registered port.
	params := e.authorizeParams(url.Values{"redirect_uri": {"http://127.0.0.1:9999/callback"}})
	p := e.newBrowser().get(e.authorizeURL(params))
	if p.resp.StatusCode != http.StatusBadRequest {
		t.Errorf("got status %d, want the 400 error page", p.resp.StatusCode)
	}
}

func wantRetrieveError(t *testing.T, err error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("got error %v, want an OAuth error %s", err, code)
	}
	if re.ErrorCode != code {
		t.Errorf("got error %q, want %q", re.ErrorCode, code)
	}
	if re.Response.StatusCode != http.StatusBadRequest {
		t.Errorf("got status %d, want 400", re.Response.StatusCode)
	}
}
