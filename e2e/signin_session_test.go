package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/server"
)

// TestSignInCSRF checks that a sign-in form without its CSRF token is
// rejected on a page before the password is checked: six such posts with a
// wrong password do not lock the user.
func TestSignInCSRF(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser()
	signInPage := e.openSignIn(b, nil)
	otherPage := e.openSignIn(b, nil)
	otherCSRF := parseForm(t, otherPage.body).values.Get("csrf_token")
	cases := []struct {
		name   string
		fields url.Values
	}{
		{"missing", url.Values{"csrf_token": {}}},
		{"empty", url.Values{"csrf_token": {""}}},
		{"wrong", url.Values{"csrf_token": {"AAAA"}}},
		{"of another request", url.Values{"csrf_token": {otherCSRF}}},
		{"truncated", url.Values{"csrf_token": {parseForm(t, signInPage.body).values.Get("csrf_token")[:20]}}},
		{"missing again", url.Values{"csrf_token": {}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := parseForm(t, signInPage.body)
			for name, values := range credentials(server.DevUsername, wrongPassword) {
				f.values[name] = values
			}
			for name, values := range c.fields {
				if len(values) == 0 {
					f.values.Del(name)
					continue
				}
				f.values[name] = values
			}
			p := b.postForm(e.issuer+f.action, f.values)
			wantErrorPage(t, p, http.StatusBadRequest, oauth.ErrCSRF.Description)
		})
	}
	wantSignedIn(t, b.submit(e.issuer, signInPage, credentials(server.DevUsername, server.DevPassword)))
}

// TestSignInOtherBrowser posts one browser's sign-in form from browsers that
// do not hold its session: every one gets a page, and the request stays
// usable by its own browser.
func TestSignInOtherBrowser(t *testing.T) {
	e := newEnv(t)
	owner := e.newBrowser()
	signInPage := e.openSignIn(owner, nil)
	ownForm := parseForm(t, signInPage.body)

	withSession := e.newBrowser()
	theirPage := e.openSignIn(withSession, nil)
	theirForm := parseForm(t, theirPage.body)

	cases := []struct {
		name    string
		browser *browser
		request string
		csrf    string
	}{
		{"no cookie", e.newBrowser(), ownForm.values.Get("request"), ownForm.values.Get("csrf_token")},
		{"own session", withSession, ownForm.values.Get("request"), ownForm.values.Get("csrf_token")},
		{"own session and own csrf", withSession, ownForm.values.Get("request"), theirForm.values.Get("csrf_token")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			form := credentials(server.DevUsername, server.DevPassword)
			form.Set("request", c.request)
			form.Set("csrf_token", c.csrf)
			p := c.browser.postForm(e.issuer+signInPath, form)
			wantErrorPage(t, p, http.StatusBadRequest, oauth.ErrPendingSession.Description)
		})
	}
	wantSignedIn(t, owner.submit(e.issuer, signInPage, credentials(server.DevUsername, server.DevPassword)))
	wantSignedIn(t, withSession.submit(e.issuer, theirPage, credentials(server.DevUsername, server.DevPassword)))
}

// TestSignInMalformedForm covers forms the page never sends.
func TestSignInMalformedForm(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser()
	signInPage := e.openSignIn(b, nil)
	cases := []struct {
		name   string
		body   string
		header http.Header
		want   *oauth.Error
	}{
		{"password repeated", "password=a&password=b", nil, oauth.ErrParamRepeated},
		{"request repeated", "request=a&request=a", nil, oauth.ErrParamRepeated},
		{"request missing", "username=demo&password=demo", nil, oauth.ErrPendingUnknown},
		{"request unknown", "request=unknown&username=demo&password=demo", nil, oauth.ErrPendingUnknown},
		{"bad escape", "request=%zz", nil, oauth.ErrBodyInvalid},
		{"JSON body", `{"username":"demo"}`, http.Header{"Content-Type": {"application/json"}}, oauth.ErrContentType},
	}
	f := parseForm(t, signInPage.body)
	hidden := "&request=" + url.QueryEscape(f.values.Get("request")) +
		"&csrf_token=" + url.QueryEscape(f.values.Get("csrf_token"))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := c.body
			if c.want == oauth.ErrParamRepeated && !strings.HasPrefix(body, "request=") {
				body += hidden
			}
			req, err := http.NewRequest(http.MethodPost, e.issuer+signInPath, strings.NewReader(body))
			if err != nil {
				t.Fatalf("new request: %v", err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for name, values := range c.header {
				req.Header[name] = values
			}
			resp, err := b.client.Do(req)
			if err != nil {
				t.Fatalf("post sign-in: %v", err)
			}
			wantErrorPage(t, readPage(t, resp), c.want.Status, c.want.Description)
		})
	}
	wantSignedIn(t, b.submit(e.issuer, signInPage, credentials(server.DevUsername, server.DevPassword)))
}

// TestSignInNewSession checks that signing in replaces the session cookie,
// so that a session id fixed before sign-in is worthless after it.
func TestSignInNewSession(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser()
	signInPage := e.openSignIn(b, nil)
	first := sessionCookie(signInPage, sessionCookieN)
	if first == nil {
		t.Fatal("authorize set no session cookie")
	}
	if got := e.jarSession(b); got != first.Value {
		t.Fatalf("got jar session %q, want the cookie just set", got)
	}
	p := b.submit(e.issuer, signInPage, credentials(server.DevUsername, server.DevPassword))
	wantSignedIn(t, p)
	second := sessionCookie(p, sessionCookieN)
	if second == nil {
		t.Fatal("sign-in set no session cookie")
	}
	if second.Value == first.Value {
		t.Error("sign-in kept the session id, want a new one")
	}
	if got := e.jarSession(b); got != second.Value {
		t.Errorf("got jar session %q, want the new one", got)
	}
}

// TestSignInBusy bounds password hashing to one at a time with almost no
// wait, so that concurrent sign-ins are sent temporarily_unavailable.
func TestSignInBusy(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.Login.MaxHashing = 1
		c.Login.HashWait = time.Millisecond
	})
	const concurrent = 6
	busy, signedIn := 0, 0
	for round := 0; round < 5 && busy == 0; round++ {
		browsers := make([]*browser, concurrent)
		forms := make([]form, concurrent)
		for i := range browsers {
			browsers[i] = e.newBrowser()
			forms[i] = parseForm(t, e.openSignIn(browsers[i], nil).body)
			for name, values := range credentials(server.DevUsername, server.DevPassword) {
				forms[i].values[name] = values
			}
		}
		answers := make([]*http.Response, concurrent)
		errs := make([]error, concurrent)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range browsers {
			wg.Go(func() {
				<-start
				answers[i], errs[i] = browsers[i].client.PostForm(e.issuer+forms[i].action, forms[i].values)
			})
		}
		close(start)
		wg.Wait()
		for i, resp := range answers {
			if errs[i] != nil {
				t.Fatalf("post sign-in: %v", errs[i])
			}
			p := readPage(t, resp)
			if p.resp.StatusCode == http.StatusSeeOther {
				signedIn++
				continue
			}
			busy++
			e.wantErrorRedirect(t, p, devURI, oauth.ErrSignInBusy, testState)
			if got := p.resp.Header.Get("Retry-After"); got != "5" {
				t.Errorf("got Retry-After %q, want 5", got)
			}
			again := browsers[i].postForm(e.issuer+forms[i].action, forms[i].values)
			wantErrorPage(t, again, http.StatusBadRequest, oauth.ErrPendingUnknown.Description)
		}
	}
	if busy == 0 {
		t.Errorf("got no temporarily_unavailable among %d concurrent sign-ins, want some", concurrent)
	}
	if signedIn == 0 {
		t.Error("got no successful sign-in, want the one holding the hashing slot to succeed")
	}
}
