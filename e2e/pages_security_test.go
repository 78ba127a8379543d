package e2e_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/server"
	"github.com/consentry/consentry/tokens"
)

// TestConsentCSRF checks that a consent form without its CSRF token, or with
// the sign-in form's token, is rejected on a page and leaves the request
// usable.
func TestConsentCSRF(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser()
	signInPage := e.openSignIn(b, nil)
	signInCSRF := parseForm(t, signInPage.body).values.Get("csrf_token")
	after := b.submit(e.issuer, signInPage, credentials(server.DevUsername, server.DevPassword))
	wantSignedIn(t, after)
	consent := b.get(e.issuer + after.resp.Header.Get("Location"))
	cases := []struct {
		name string
		csrf []string
	}{
		{"missing", nil},
		{"empty", []string{""}},
		{"wrong", []string{"AAAA"}},
		{"sign-in token", []string{signInCSRF}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := parseForm(t, consent.body)
			f.values.Set("decision", "approve")
			f.values.Del("csrf_token")
			if c.csrf != nil {
				f.values["csrf_token"] = c.csrf
			}
			wantErrorPage(t, b.postForm(e.issuer+f.action, f.values), http.StatusBadRequest,
				oauth.ErrCSRF.Description)
		})
	}
	query := redirectParams(t, b.submit(e.issuer, consent, url.Values{"decision": {"approve"}}), devURI)
	if query.Get("code") == "" {
		t.Errorf("got no code after the rejected forms; query %v", query)
	}
}

// TestConsentSessionBinding posts a consent form from browsers that do not
// hold the session it is bound to, including the same browser's cookie from
// before sign-in.
func TestConsentSessionBinding(t *testing.T) {
	e := newEnv(t)
	owner := e.newBrowser()
	signInPage := e.openSignIn(owner, nil)
	preSignIn := e.jarSessionCookie(owner)
	after := owner.submit(e.issuer, signInPage, credentials(server.DevUsername, server.DevPassword))
	wantSignedIn(t, after)
	consentURL := e.issuer + after.resp.Header.Get("Location")
	consent := owner.get(consentURL)
	approve := parseForm(t, consent.body).values
	approve.Set("decision", "approve")

	cases := []struct {
		name    string
		browser *browser
	}{
		{"no cookie", e.newBrowser()},
		{"cookie from before sign-in", e.browserWithSession(preSignIn.Name, preSignIn.Value)},
		{"another session", e.browserWithSession(preSignIn.Name, tokens.NewSecret())},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErrorPage(t, c.browser.postForm(e.issuer+consentPath, approve), http.StatusBadRequest,
				oauth.ErrPendingSession.Description)
			wantErrorPage(t, c.browser.get(consentURL), http.StatusBadRequest, oauth.ErrPendingSession.Description)
		})
	}
	if redirectParams(t, owner.postForm(e.issuer+consentPath, approve), devURI).Get("code") == "" {
		t.Error("owner got no code after the foreign posts")
	}
}

// browserWithSession returns a browser whose jar holds the session cookie
// value, as a browser that copied or kept it would.
func (e *env) browserWithSession(name, value string) *browser {
	e.t.Helper()
	b := e.newBrowser()
	issuer, err := url.Parse(e.issuer)
	if err != nil {
		e.t.Fatalf("parse issuer: %v", err)
	}
	b.client.Jar.SetCookies(issuer, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
	return b
}

// TestConsentReplay posts a consent form again after its first post: the
// second post gets a page and no second code.
func TestConsentReplay(t *testing.T) {
	for _, first := range []string{"approve", "deny"} {
		t.Run(first, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBrowser()
			consent := e.consentFor(t, b, nil, nil)
			done := b.submit(e.issuer, consent, url.Values{"decision": {first}})
			if done.resp.StatusCode != http.StatusFound {
				t.Fatalf("first post: got status %d, want 302", done.resp.StatusCode)
			}
			for _, again := range []string{"approve", "deny"} {
				p := b.submit(e.issuer, consent, url.Values{"decision": {again}})
				wantErrorPage(t, p, http.StatusBadRequest, oauth.ErrPendingUnknown.Description)
			}
			conns, err := e.store.ListConnections(context.Background(), server.DevClientID)
			if err != nil {
				t.Fatalf("list connections: %v", err)
			}
			wantConns := map[string]int{"approve": 1, "deny": 0}[first]
			if len(conns) != wantConns {
				t.Errorf("got %d connections, want %d", len(conns), wantConns)
			}
		})
	}
}

// TestPagesTamperedRequest swaps the hidden request id for another user's,
// and posts forms to the wrong step.
func TestPagesTamperedRequest(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.newBrowser(), e.newBrowser()
	aliceConsent := e.consentFor(t, alice, nil, nil)
	bobConsent := e.consentFor(t, bob, nil, nil)
	bobForm := parseForm(t, bobConsent.body).values

	t.Run("other user's request with own token", func(t *testing.T) {
		p := alice.submit(e.issuer, aliceConsent, url.Values{"decision": {"approve"},
			"request": {bobForm.Get("request")}})
		wantErrorPage(t, p, http.StatusBadRequest, oauth.ErrPendingSession.Description)
	})
	t.Run("other user's whole form", func(t *testing.T) {
		f := url.Values{"decision": {"approve"}, "request": bobForm["request"], "csrf_token": bobForm["csrf_token"]}
		wantErrorPage(t, alice.postForm(e.issuer+consentPath, f), http.StatusBadRequest,
			oauth.ErrPendingSession.Description)
	})
	t.Run("consent form to sign-in", func(t *testing.T) {
		f := parseForm(t, aliceConsent.body).values
		for name, values := range credentials(server.DevUsername, server.DevPassword) {
			f[name] = values
		}
		wantErrorPage(t, alice.postForm(e.issuer+signInPath, f), http.StatusBadRequest,
			oauth.ErrPendingStep.Description)
	})
	t.Run("sign-in form to consent", func(t *testing.T) {
		carol := e.newBrowser()
		f := parseForm(t, e.openSignIn(carol, nil).body).values
		f.Set("decision", "approve")
		wantErrorPage(t, carol.postForm(e.issuer+consentPath, f), http.StatusBadRequest,
			oauth.ErrPendingStep.Description)
		wantErrorPage(t, carol.get(e.issuer+consentPath+"?request="+url.QueryEscape(f.Get("request"))),
			http.StatusBadRequest, oauth.ErrPendingStep.Description)
	})
	t.Run("consent page without request", func(t *testing.T) {
		wantErrorPage(t, alice.get(e.issuer+consentPath), http.StatusBadRequest, oauth.ErrPendingUnknown.Description)
	})
	for name, b := range map[string]*browser{"alice": alice, "bob": bob} {
		consent := map[string]page{"alice": aliceConsent, "bob": bobConsent}[name]
		query := redirectParams(t, b.submit(e.issuer, consent, url.Values{"decision": {"approve"}}), devURI)
		if query.Get("code") == "" {
			t.Errorf("%s got no code after the tampered posts", name)
		}
	}
}

// TestPageHeaders checks the headers of every kind of page: no framing, no
// caching, and a policy whose form-action lists the client's redirect origin
// because Chromium applies it to the redirect that follows a form post.
func TestPageHeaders(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Login.UserFailures = 1 })
	e.createClient(queryClient())
	devCSP := pageCSP("'self' http://127.0.0.1:8081")
	b := e.newBrowser()
	signInPage := e.openSignIn(b, nil)
	failed := b.submit(e.issuer, signInPage, credentials(server.DevUsername, wrongPassword))
	locked := b.submit(e.issuer, failed, credentials(server.DevUsername, server.DevPassword))
	other := e.newBrowser()
	queryPage := e.openSignIn(other, url.Values{"client_id": {queryURIClient}, "redirect_uri": {queryURI}})
	e.createUser("carol", "carol-password")
	consentBrowser := e.newBrowser()
	consentPage := consentBrowser.submit(e.issuer, e.openSignIn(consentBrowser, nil),
		credentials("carol", "carol-password"))
	consentPage = consentBrowser.get(e.issuer + consentPage.resp.Header.Get("Location"))
	errorPage := b.get(e.issuer + "/api/v1/authorize")

	cases := []struct {
		name   string
		p      page
		status int
		csp    string
	}{
		{"sign-in", signInPage, http.StatusOK, devCSP},
		{"sign-in failed", failed, http.StatusUnauthorized, devCSP},
		{"sign-in locked", locked, http.StatusTooManyRequests, devCSP},
		{"sign-in for a redirect uri with query", queryPage, http.StatusOK, pageCSP("'self' https://app.example")},
		{"consent", consentPage, http.StatusOK, devCSP},
		{"error", errorPage, http.StatusBadRequest, pageCSP("'none'")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.p.resp.StatusCode != c.status {
				t.Errorf("got status %d, want %d", c.p.resp.StatusCode, c.status)
			}
			wantPageHeaders(t, c.p, c.csp)
			id := c.p.resp.Header.Get("X-Request-Id")
			if !strings.Contains(c.p.body, "<code>"+id+"</code>") {
				t.Errorf("page does not show its request id %q", id)
			}
		})
	}
}

func queryClient() consentry.Client {
	return consentry.Client{ID: queryURIClient, RedirectURIs: []string{queryURI}}
}

// TestSessionCookieHTTP checks the session cookie of a plain-http loopback
// issuer: HttpOnly and SameSite=Lax, and not Secure because the browser
// would not send it back over http.
func TestSessionCookieHTTP(t *testing.T) {
	e := newEnv(t)
	p := e.openSignIn(e.newBrowser(), nil)
	wantSessionCookie(t, p, sessionCookieN, false)
}

// TestSessionCookieHTTPS runs the browser flow against an https issuer: the
// cookie is Secure and has the __Host- prefix, and the flow still completes.
func TestSessionCookieHTTPS(t *testing.T) {
	e := newTLSEnv(t)
	b := e.newTLSBrowser()
	signInPage := e.openSignIn(b, nil)
	wantSessionCookie(t, signInPage, "__Host-consentry_session", true)
	after := b.submit(e.issuer, signInPage, credentials(server.DevUsername, server.DevPassword))
	wantSignedIn(t, after)
	wantSessionCookie(t, after, "__Host-consentry_session", true)
	consent := b.get(e.issuer + after.resp.Header.Get("Location"))
	query := redirectParams(t, b.submit(e.issuer, consent, url.Values{"decision": {"approve"}}), devURI)
	if query.Get("code") == "" {
		t.Errorf("got no code over https; query %v", query)
	}
	if got := query.Get("iss"); got != e.issuer || !strings.HasPrefix(got, "https://") {
		t.Errorf("got iss %q, want %q", got, e.issuer)
	}
}

func wantSessionCookie(t *testing.T, p page, name string, secure bool) {
	t.Helper()
	c := sessionCookie(p, name)
	if c == nil {
		t.Fatalf("got cookies %q, want one named %s", p.resp.Header.Values("Set-Cookie"), name)
	}
	if !c.HttpOnly {
		t.Error("got a cookie without HttpOnly, want HttpOnly")
	}
	if c.SameSite != http.SameSiteLaxMode {
		t.Errorf("got SameSite %v, want Lax", c.SameSite)
	}
	if c.Secure != secure {
		t.Errorf("got Secure %v, want %v", c.Secure, secure)
	}
	if c.Path != "/" || c.Domain != "" {
		t.Errorf("got Path %q and Domain %q, want / and none", c.Path, c.Domain)
	}
}

// newTLSEnv starts a server with an https issuer on a fresh SQLite file.
func newTLSEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	store := newTestStore(t)
	clk := &clock{now: time.Now().Truncate(time.Millisecond)}
	if err := server.SeedDev(ctx, store, clk.Now()); err != nil {
		t.Fatalf("seed: %v", err)
	}
	ts := httptest.NewUnstartedServer(nil)
	issuer := "https://" + ts.Listener.Addr().String()
	logs := &syncBuffer{}
	srv, err := server.New(ctx, server.Config{
		Addr:             ts.Listener.Addr().String(),
		Issuer:           issuer,
		Dev:              true,
		KeyEncryptionKey: tokens.DevKeyEncryptionKey,
		Now:              clk.Now,
	}, store, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatalf("assemble server: %v", err)
	}
	ts.Config.Handler = srv.Handler()
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return &env{t: t, store: store, srv: srv, ts: ts, clock: clk, issuer: issuer, logs: logs}
}

// newTLSBrowser returns a browser that trusts the test server's certificate.
func (e *env) newTLSBrowser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatalf("cookie jar: %v", err)
	}
	return &browser{t: e.t, client: &http.Client{
		Transport:     e.ts.Client().Transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// TestEveryAuthorizationSignsIn starts a second authorization in a browser
// that just finished one: it starts at the sign-in page again, and its
// consent step cannot be reached without signing in.
func TestEveryAuthorizationSignsIn(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser()
	first := b.submit(e.issuer, e.consentFor(t, b, nil, nil), url.Values{"decision": {"approve"}})
	redirectParams(t, first, devURI)

	second := e.openSignIn(b, nil)
	if f := parseForm(t, second.body); f.action != signInPath {
		t.Fatalf("got form action %q, want %s", f.action, signInPath)
	}
	f := parseForm(t, second.body).values
	wantErrorPage(t, b.get(e.issuer+consentPath+"?request="+url.QueryEscape(f.Get("request"))),
		http.StatusBadRequest, oauth.ErrPendingStep.Description)
	f.Set("decision", "approve")
	wantErrorPage(t, b.postForm(e.issuer+consentPath, f), http.StatusBadRequest, oauth.ErrPendingStep.Description)
}
