package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/server"
)

const (
	signInPath     = "/api/v1/authorize/signin"
	consentPath    = "/api/v1/authorize/consent"
	wrongPassword  = "wrong-Zq81x"
	invalidText    = "The username or password is incorrect."
	lockedTextFmt  = "Too many failed sign-ins. Sign-in is blocked; try again in %d min."
	sessionCookieN = "consentry_session"
)

// openSignIn starts an authorization of the development client with state
// testState and returns the sign-in page.
func (e *env) openSignIn(b *browser, overrides url.Values) page {
	e.t.Helper()
	merged := url.Values{"state": {testState}}
	for name, values := range overrides {
		merged[name] = values
	}
	p := b.get(e.authorizeURL(e.authorizeParams(merged)))
	if p.resp.StatusCode != http.StatusOK {
		e.t.Fatalf("authorize: got status %d, want 200:\n%s", p.resp.StatusCode, p.body)
	}
	return p
}

func credentials(username, password string) url.Values {
	return url.Values{"username": {username}, "password": {password}}
}

// wantSignedIn checks that p is the redirect to the consent page that a
// successful sign-in returns.
func wantSignedIn(t *testing.T, p page) {
	t.Helper()
	if p.resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("got status %d, want 303; body:\n%s", p.resp.StatusCode, p.body)
	}
	if got := p.resp.Header.Get("Location"); !strings.HasPrefix(got, consentPath+"?request=") {
		t.Fatalf("got Location %q, want the consent page", got)
	}
}

// wantSignInProblem checks that p is the sign-in page again, with the status
// and the problem text, and that it issued nothing.
func wantSignInProblem(t *testing.T, p page, status int, text string) {
	t.Helper()
	if p.resp.StatusCode != status {
		t.Errorf("got status %d, want %d", p.resp.StatusCode, status)
	}
	if got := alertText(t, p.body); got != text {
		t.Errorf("got problem %q, want %q", got, text)
	}
	if got := p.resp.Header.Get("Location"); got != "" {
		t.Errorf("got Location %q, want none", got)
	}
	if got := p.resp.Header.Get("Set-Cookie"); got != "" {
		t.Errorf("got Set-Cookie %q, want no new session", got)
	}
	if f := parseForm(t, p.body); f.action != signInPath {
		t.Errorf("got form action %q, want %s", f.action, signInPath)
	}
}

// formControl is an input or button of a form.
type formControl struct{ tag, name, kind, value string }

// formControls returns the named inputs and buttons of a page in document
// order.
func formControls(t *testing.T, body string) []formControl {
	t.Helper()
	var controls []formControl
	walkHTML(t, body, func(n *html.Node) {
		if (n.Data == "input" || n.Data == "button") && attr(n, "name") != "" {
			controls = append(controls, formControl{n.Data, attr(n, "name"), attr(n, "type"), attr(n, "value")})
		}
	})
	return controls
}

func TestSignInPageForm(t *testing.T) {
	e := newEnv(t)
	p := e.openSignIn(e.newBrowser(), nil)
	want := []formControl{
		{"input", "request", "hidden", ""},
		{"input", "csrf_token", "hidden", ""},
		{"input", "username", "text", ""},
		{"input", "password", "password", ""},
		{"button", "signin", "submit", "1"},
		{"button", "cancel", "submit", "1"},
	}
	got := formControls(t, p.body)
	if len(got) != len(want) {
		t.Fatalf("got %d form controls %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		// Hidden values are random, so only their presence is compared.
		if want[i].kind == "hidden" {
			got[i].value = ""
		}
		if got[i] != want[i] {
			t.Errorf("control %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if f := parseForm(t, p.body); f.action != signInPath {
		t.Errorf("got form action %q, want %s", f.action, signInPath)
	}
	if !strings.Contains(p.body, `<form method="post"`) {
		t.Error("form does not use method post")
	}
	if strings.Contains(p.body, "<script") {
		t.Error("page has a script, want a page that works without JavaScript")
	}
}

func TestSignInCancel(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser()
	signInPage := e.openSignIn(b, nil)
	p := b.submit(e.issuer, signInPage, url.Values{"cancel": {"1"}})
	e.wantErrorRedirect(t, p, devURI, oauth.ErrSignInCancelled, testState)

	again := b.submit(e.issuer, signInPage, credentials(server.DevUsername, server.DevPassword))
	wantErrorPage(t, again, http.StatusBadRequest, oauth.ErrPendingUnknown.Description)
}

// TestSignInBadCredentials checks that an unknown user and a wrong password
// get the same status and text, issue nothing, and leave the request open.
func TestSignInBadCredentials(t *testing.T) {
	cases := []struct{ name, username, password string }{
		{"wrong password", server.DevUsername, wrongPassword},
		{"unknown user", "nobody", wrongPassword},
		{"unknown user with the demo password", "nobody", server.DevPassword},
		{"username differs in case", "DEMO", server.DevPassword},
		{"empty password", server.DevUsername, ""},
		{"oversized username", strings.Repeat("u", 300), wrongPassword},
		{"oversized password", server.DevUsername, strings.Repeat("p", 1100)},
	}
	e := newEnv(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := e.newBrowser()
			signInPage := e.openSignIn(b, nil)
			p := b.submit(e.issuer, signInPage, credentials(c.username, c.password))
			wantSignInProblem(t, p, http.StatusUnauthorized, invalidText)
			wantSignedIn(t, b.submit(e.issuer, p, credentials(server.DevUsername, server.DevPassword)))
		})
	}
	conns, err := e.store.ListConnections(context.Background(), "")
	if err != nil {
		t.Fatalf("list connections: %v", err)
	}
	if len(conns) != 0 {
		t.Errorf("got %d connections after sign-ins only, want 0", len(conns))
	}
}

// TestSignInUserLock checks the per-user limit: 5 failures lock the user, and
// the lock rejects even the right password without checking it, with 429.
func TestSignInUserLock(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Login.Lockout = 30 * time.Minute })
	e.createUser("alice", "alice-password")
	b := e.newBrowser()
	p := e.openSignIn(b, nil)
	for i := 1; i <= 5; i++ {
		p = b.submit(e.issuer, p, credentials(server.DevUsername, wrongPassword))
		wantSignInProblem(t, p, http.StatusUnauthorized, invalidText)
	}
	lockedText := strings.Replace(lockedTextFmt, "%d", "30", 1)
	p = b.submit(e.issuer, p, credentials(server.DevUsername, server.DevPassword))
	wantSignInProblem(t, p, http.StatusTooManyRequests, lockedText)
	if got := p.resp.Header.Get("Retry-After"); got != "1800" {
		t.Errorf("got Retry-After %q, want 1800", got)
	}

	other := e.newBrowser()
	wantSignInProblem(t, other.submit(e.issuer, e.openSignIn(other, nil),
		credentials(server.DevUsername, server.DevPassword)), http.StatusTooManyRequests, lockedText)
	// The lock is per user: another user on the same address signs in.
	wantSignedIn(t, b.submit(e.issuer, p, credentials("alice", "alice-password")))

	e.clock.Advance(29*time.Minute + 30*time.Second)
	late := e.newBrowser()
	p = late.submit(e.issuer, e.openSignIn(late, nil), credentials(server.DevUsername, server.DevPassword))
	wantSignInProblem(t, p, http.StatusTooManyRequests, strings.Replace(lockedTextFmt, "%d", "1", 1))
	if got := p.resp.Header.Get("Retry-After"); got != "30" {
		t.Errorf("got Retry-After %q, want 30", got)
	}
	e.clock.Advance(time.Minute)
	after := e.newBrowser()
	wantSignedIn(t, after.submit(e.issuer, e.openSignIn(after, nil),
		credentials(server.DevUsername, server.DevPassword)))
}

// TestSignInAddressLock checks the per-address limit across usernames.
func TestSignInAddressLock(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Login.AddrFailures = 3 })
	b := e.newBrowser()
	p := e.openSignIn(b, nil)
	for _, username := range []string{"ghost1", "ghost2", "ghost3"} {
		p = b.submit(e.issuer, p, credentials(username, wrongPassword))
		wantSignInProblem(t, p, http.StatusUnauthorized, invalidText)
	}
	p = b.submit(e.issuer, p, credentials(server.DevUsername, server.DevPassword))
	wantSignInProblem(t, p, http.StatusTooManyRequests, strings.Replace(lockedTextFmt, "%d", "15", 1))
}

// TestSignInLockedPageFrench checks the lock text in French.
func TestSignInLockedPageFrench(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Login.UserFailures = 1 })
	b := e.newBrowser()
	p := e.openSignIn(b, url.Values{"ui_locales": {"fr"}})
	p = b.submit(e.issuer, p, credentials(server.DevUsername, wrongPassword))
	wantSignInProblem(t, p, http.StatusUnauthorized, "Le nom d'utilisateur ou le mot de passe est incorrect.")
	p = b.submit(e.issuer, p, credentials(server.DevUsername, server.DevPassword))
	wantSignInProblem(t, p, http.StatusTooManyRequests,
		"Trop de tentatives de connexion échouées. La connexion est bloquée ; réessayez dans 15 min.")
}
