package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/server"
)

// TestAuthorizeRepeatedParameterRejected sends each parameter of a valid
// request twice with the same value, in the query and split between the
// query and a POST body: none may be accepted, and a repeated state is never
// echoed.
func TestAuthorizeRepeatedParameterRejected(t *testing.T) {
	e := newAuthorizeEnv(t)
	full := e.authorizeParams(url.Values{
		"state":                 {testState},
		"code_challenge":        {validChallenge},
		"code_challenge_method": {"S256"},
		"correlation_id":        {"corr-1"},
		"ui_locales":            {"fr"},
		"extra":                 {"x"},
	})
	for name := range full {
		want := authorizeCase{want: oauth.ErrParamRepeated}
		switch name {
		case "client_id":
			want = authorizeCase{page: true, want: oauth.ErrClientIDMissing}
		case "redirect_uri":
			want = authorizeCase{page: true, want: oauth.ErrRedirectURIMissing}
		case "state":
			want.noState = true
		}
		t.Run("query/"+name, func(t *testing.T) {
			params := url.Values{}
			for n, values := range full {
				params[n] = values
			}
			params[name] = []string{full.Get(name), full.Get(name)}
			want.check(t, e, e.newBrowser().get(e.authorizeURL(params)))
		})
		t.Run("query and body/"+name, func(t *testing.T) {
			query := url.Values{name: full[name]}
			p := e.newBrowser().send(http.MethodPost, e.issuer+"/api/v1/authorize?"+query.Encode(), full, nil)
			want.check(t, e, p)
		})
	}
}

// TestAuthorizeNeverRedirectsToUnregisteredURI pairs unregistered redirect
// URIs with failures of every later step: the response is always a page,
// because a redirect to an unverified URI would make the server an open
// redirector (RFC 9700 §4.11).
func TestAuthorizeNeverRedirectsToUnregisteredURI(t *testing.T) {
	e := newAuthorizeEnv(t)
	uris := []string{
		"https://evil.example/cb",
		devURI + "/",
		devURI + "?x=1",
		"http://127.0.0.1:8082/callback",
		"//evil.example/cb",
		"http://127.0.0.1:8081/callback/../callback",
		"http://127.0.0.1:8081@evil.example/callback",
	}
	later := []url.Values{
		{},
		{"response_type": {"token"}},
		{"state": {}},
		{"state": {"a", "b"}},
		{"scope": {"client:admin"}},
		{"provider_id": {"9999"}},
		{"code_challenge": {validChallenge}, "code_challenge_method": {"plain"}},
	}
	for _, uri := range uris {
		for i, overrides := range later {
			overrides["redirect_uri"] = []string{uri}
			c := authorizeCase{overrides: overrides, page: true, want: oauth.ErrRedirectURIUnknown}
			t.Run(fmt.Sprintf("%s/%d", uri, i), func(t *testing.T) {
				c.check(t, e, e.newBrowser().get(e.authorizeURL(c.params(e))))
				p := e.newBrowser().send(http.MethodPost, e.issuer+"/api/v1/authorize", c.params(e), nil)
				c.check(t, e, p)
			})
			delete(overrides, "redirect_uri")
		}
	}
}

// sqlLikeError is a storage failure whose text must never reach a client.
var sqlLikeError = errors.New("sqlite: get client: SQL logic error: no such table: clients (1)")

// TestAuthorizeStorageFailure makes the store fail before and after the
// client and redirect URI are verified. Before, the response is a page without
// internals. After, it is a redirect to the client.
func TestAuthorizeStorageFailure(t *testing.T) {
	unavailable := fmt.Errorf("sqlite: get client: %w", consentry.ErrUnavailable)
	cases := []struct {
		name       string
		method     string
		err        error
		page       bool
		want       *oauth.Error
		retryAfter string
	}{
		{"client lookup unavailable", "GetClient", unavailable, true, oauth.ErrUnavailable, "5"},
		{"client lookup timeout", "GetClient", context.DeadlineExceeded, true, oauth.ErrUnavailable, "5"},
		{"client lookup sql error", "GetClient", sqlLikeError, true, oauth.ErrServer, ""},
		{"provider lookup unavailable", "GetProvider", unavailable, false, oauth.ErrUnavailable, "5"},
		{"provider lookup sql error", "GetProvider", sqlLikeError, false, oauth.ErrServer, ""},
		{"store request unavailable", "CreateAuthRequest", unavailable, false, oauth.ErrUnavailable, "5"},
		{"store request sql error", "CreateAuthRequest", sqlLikeError, false, oauth.ErrServer, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, faults := newFaultEnv(t)
			faults.fail(c.method, c.err)
			p := e.newBrowser().get(e.authorizeURL(e.authorizeParams(url.Values{"state": {testState}})))
			if c.page {
				wantErrorPage(t, p, c.want.Status, c.want.Description)
			} else {
				e.wantErrorRedirect(t, p, devURI, c.want, testState)
			}
			if got := p.resp.Header.Get("Retry-After"); got != c.retryAfter {
				t.Errorf("got Retry-After %q, want %q", got, c.retryAfter)
			}
			for _, internal := range []string{"sqlite", "SQL", "storage unavailable", "deadline"} {
				if strings.Contains(p.body, internal) || strings.Contains(p.resp.Header.Get("Location"), internal) {
					t.Errorf("answer contains %q; want no internals", internal)
				}
			}
			wantCauseLogged(t, e, p, c.err)

			faults.heal()
			again := e.newBrowser().get(e.authorizeURL(e.authorizeParams(nil)))
			if again.resp.StatusCode != http.StatusOK {
				t.Errorf("after the store recovered: got status %d, want 200", again.resp.StatusCode)
			}
		})
	}
}

// wantCauseLogged checks that the log keeps the cause of a failure under the
// request id that the client can quote.
func wantCauseLogged(t *testing.T, e *env, p page, cause error) {
	t.Helper()
	id := p.resp.Header.Get("X-Request-Id")
	for _, line := range e.logLines(t) {
		if line["request_id"] == id && strings.Contains(fmt.Sprint(line["cause"]), cause.Error()) {
			return
		}
	}
	t.Errorf("no log line of request %s has the cause %q", id, cause)
}

// TestAuthorizeServerRequiresPKCE checks that the server-wide setting makes
// PKCE mandatory for confidential clients too.
func TestAuthorizeServerRequiresPKCE(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.OAuth.RequirePKCE = true })
	authorizeCase{want: oauth.ErrPKCERequired}.check(t, e,
		e.newBrowser().get(e.authorizeURL(authorizeCase{}.params(e))))
	withPKCE := authorizeCase{overrides: url.Values{"code_challenge": {validChallenge},
		"code_challenge_method": {"S256"}}, ok: true}
	withPKCE.check(t, e, e.newBrowser().get(e.authorizeURL(withPKCE.params(e))))
}
