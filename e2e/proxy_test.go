package e2e_test

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/consentry/consentry/server"
)

// forwardingTransport adds an X-Forwarded-For header, as a reverse proxy in
// front of the server would.
type forwardingTransport struct {
	forwardedFor string
}

func (f forwardingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.forwardedFor)
	return http.DefaultTransport.RoundTrip(r)
}

// browserVia returns a browser whose requests carry X-Forwarded-For.
func (e *env) browserVia(forwardedFor string) *browser {
	b := e.newBrowser()
	b.client.Transport = forwardingTransport{forwardedFor: forwardedFor}
	return b
}

// failSignIns makes n failed sign-ins through b and returns the status of a
// sign-in with the right password after them.
func (e *env) failSignIns(b *browser, n int) int {
	e.t.Helper()
	p := e.openSignIn(b, nil)
	for i := 0; i < n; i++ {
		p = b.submit(e.issuer, p, credentials("ghost", wrongPassword))
	}
	p = b.submit(e.issuer, p, credentials(server.DevUsername, server.DevPassword))
	return p.resp.StatusCode
}

func TestSignInAddressLockBehindTrustedProxy(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.Login.AddrFailures = 2
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	if got := e.failSignIns(e.browserVia("203.0.113.5"), 2); got != http.StatusTooManyRequests {
		t.Fatalf("third sign-in from 203.0.113.5: got status %d, want 429", got)
	}
	// Another client behind the same proxy is not locked out.
	if got := e.failSignIns(e.browserVia("198.51.100.7"), 0); got != http.StatusSeeOther {
		t.Errorf("sign-in from another client behind the proxy: got status %d, want 303", got)
	}
	// Entries to the left of the proxy's own are the client's and change nothing.
	if got := e.failSignIns(e.browserVia("198.51.100.9, 203.0.113.5"), 0); got != http.StatusTooManyRequests {
		t.Errorf("locked client prepending an address: got status %d, want 429", got)
	}
}

func TestSignInIgnoresForwardedForFromUntrustedPeer(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Login.AddrFailures = 2 })
	if got := e.failSignIns(e.browserVia("203.0.113.5"), 2); got != http.StatusTooManyRequests {
		t.Fatalf("third sign-in: got status %d, want 429", got)
	}
	// Without a trusted proxy the header is the client's own claim: the lock
	// is on the connection's address, whatever the header says.
	if got := e.failSignIns(e.browserVia("198.51.100.7"), 0); got != http.StatusTooManyRequests {
		t.Errorf("same peer with another X-Forwarded-For: got status %d, want 429", got)
	}
}
