package e2e_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/consentry/consentry/server"
)

// TestTwoTabsInOneBrowser runs two authorizations side by side in one
// browser: signing in on one tab must not break the other tab's request.
func TestTwoTabsInOneBrowser(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser()
	paramsA := e.authorizeParams(url.Values{"state": {"tab-a"}})
	paramsB := e.authorizeParams(url.Values{"state": {"tab-b"}})
	signInA := b.get(e.authorizeURL(paramsA))
	signInB := b.get(e.authorizeURL(paramsB))

	credentials := url.Values{"username": {server.DevUsername}, "password": {server.DevPassword}}
	afterA := b.submit(e.issuer, signInA, credentials)
	if afterA.resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in on tab A: got status %d, want 303", afterA.resp.StatusCode)
	}
	afterB := b.submit(e.issuer, signInB, credentials)
	if afterB.resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in on tab B after tab A: got status %d, want 303:\n%s", afterB.resp.StatusCode, afterB.body)
	}

	consentA := b.get(e.issuer + afterA.resp.Header.Get("Location"))
	consentB := b.get(e.issuer + afterB.resp.Header.Get("Location"))
	for _, tab := range []struct {
		name    string
		consent page
		state   string
	}{{"A", consentA, "tab-a"}, {"B", consentB, "tab-b"}} {
		done := b.submit(e.issuer, tab.consent, url.Values{"decision": {"approve"}})
		query := redirectQuery(t, done, server.DevRedirectURIs[0])
		if got := query.Get("state"); got != tab.state {
			t.Errorf("tab %s: got state %q, want %q", tab.name, got, tab.state)
		}
		if query.Get("code") == "" {
			t.Errorf("tab %s: redirect has no code", tab.name)
		}
	}
}
