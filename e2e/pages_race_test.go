package e2e_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/server"
)

// postAtOnce posts every form to rawURL from b at the same moment, as a
// double-clicked submit button or two tabs would.
func postAtOnce(t *testing.T, b *browser, rawURL string, forms []url.Values) []page {
	t.Helper()
	pages := make([]page, len(forms))
	errs := make([]error, len(forms))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, f := range forms {
		wg.Go(func() {
			<-start
			resp, err := b.client.PostForm(rawURL, f)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			pages[i], errs[i] = page{resp: resp, body: string(body)}, err
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("post %s: %v", rawURL, err)
		}
	}
	return pages
}

// TestSignInDoubleSubmit posts one sign-in form several times at once: one
// post signs in, the others get a page and leave the session cookie alone,
// so the winner's consent page still opens.
func TestSignInDoubleSubmit(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser()
	f := parseForm(t, e.openSignIn(b, nil).body)
	for name, values := range credentials(server.DevUsername, server.DevPassword) {
		f.values[name] = values
	}
	forms := []url.Values{f.values, f.values, f.values, f.values}
	var consentURL string
	for _, p := range postAtOnce(t, b, e.issuer+f.action, forms) {
		if p.resp.StatusCode == http.StatusSeeOther {
			if consentURL != "" {
				t.Error("got two successful sign-ins for one request, want one")
			}
			consentURL = e.issuer + p.resp.Header.Get("Location")
			continue
		}
		// A losing post finds the request finished or rebound to the winner's
		// session. One sent after the winner's cookie arrived finds it past
		// sign-in.
		msg := alertText(t, p.body)
		lost := []string{oauth.ErrPendingUnknown.Description, oauth.ErrPendingSession.Description,
			oauth.ErrPendingStep.Description}
		if !slices.Contains(lost, msg) {
			t.Errorf("got status %d with message %q, want one of %q", p.resp.StatusCode, msg, lost)
		}
		if got := p.resp.Header.Values("Set-Cookie"); len(got) != 0 {
			t.Errorf("a losing sign-in set cookies %q, want none", got)
		}
	}
	if consentURL == "" {
		t.Fatal("got no successful sign-in, want one")
	}
	if p := b.get(consentURL); p.resp.StatusCode != http.StatusOK {
		t.Errorf("consent page after the race: got status %d, want 200; message %q",
			p.resp.StatusCode, alertText(t, p.body))
	}
}

// TestConsentDoubleSubmit posts one consent form several times at once, with
// the same and with opposite decisions: exactly one post is redirected to the
// client, and at most one connection exists.
func TestConsentDoubleSubmit(t *testing.T) {
	cases := []struct {
		name      string
		decisions []string
	}{
		{"approve four times", []string{"approve", "approve", "approve", "approve"}},
		{"approve and deny", []string{"approve", "deny", "approve", "deny"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBrowser()
			f := parseForm(t, e.consentFor(t, b, nil, nil).body)
			forms := make([]url.Values, len(c.decisions))
			for i, decision := range c.decisions {
				forms[i] = url.Values{"request": f.values["request"], "csrf_token": f.values["csrf_token"],
					"decision": {decision}}
			}
			redirects, approved := 0, false
			for _, p := range postAtOnce(t, b, e.issuer+f.action, forms) {
				if p.resp.StatusCode != http.StatusFound {
					if msg := alertText(t, p.body); msg != oauth.ErrPendingUnknown.Description {
						t.Errorf("got status %d with message %q, want %q", p.resp.StatusCode, msg,
							oauth.ErrPendingUnknown.Description)
					}
					continue
				}
				redirects++
				query := redirectParams(t, p, devURI)
				approved = query.Get("code") != ""
				if got := query.Get("state"); got != testState {
					t.Errorf("got state %q, want %q", got, testState)
				}
			}
			if redirects != 1 {
				t.Errorf("got %d redirects to the client, want exactly 1", redirects)
			}
			conns, err := e.store.ListConnections(context.Background(), server.DevClientID)
			if err != nil {
				t.Fatalf("list connections: %v", err)
			}
			if want := map[bool]int{true: 1, false: 0}[approved]; len(conns) != want {
				t.Errorf("got %d connections, want %d", len(conns), want)
			}
		})
	}
}
