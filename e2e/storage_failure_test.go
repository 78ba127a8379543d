package e2e_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consentry/consentry/postgres"
	"github.com/consentry/consentry/postgres/pgtest"
)

// proxyMode is what tcpProxy does with connections.
type proxyMode int

const (
	// proxyForward relays each connection to the target.
	proxyForward proxyMode = iota
	// proxyRefuse closes the listening socket, so that connecting fails at
	// once, as when the database host is down.
	proxyRefuse
	// proxyStall accepts connections and never responds, as when packets to
	// the database are dropped.
	proxyStall
)

// tcpProxy relays TCP connections from a loopback port to a target address.
// Switching away from proxyForward closes every relayed connection.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string

	mu       sync.Mutex
	mode     proxyMode
	listener net.Listener
	conns    map[net.Conn]struct{}
	// stalledConns counts the connections accepted in proxyStall mode.
	stalledConns int
}

// startTCPProxy starts relaying a new loopback port to target and stops
// when the test ends.
func startTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{t: t, target: target, conns: map[net.Conn]struct{}{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p.addr = l.Addr().String()
	p.listener = l
	go p.accept(l)
	t.Cleanup(func() { p.set(proxyRefuse) })
	return p
}

// set switches the proxy to mode and closes the connections it holds.
func (p *tcpProxy) set(mode proxyMode) {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = mode
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
	if mode == proxyRefuse {
		if p.listener != nil {
			p.listener.Close()
			p.listener = nil
		}
		return
	}
	if p.listener == nil {
		l, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Fatalf("proxy listen again on %s: %v", p.addr, err)
		}
		p.listener = l
		go p.accept(l)
	}
}

// stalled returns how many connections the proxy accepted and left
// unanswered.
func (p *tcpProxy) stalled() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stalledConns
}

func (p *tcpProxy) accept(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go p.relay(c)
	}
}

// track records c so that a mode switch closes it; it reports false, and
// closes c, when the proxy no longer forwards.
func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == proxyRefuse {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *tcpProxy) relay(client net.Conn) {
	if !p.track(client) {
		return
	}
	p.mu.Lock()
	stall := p.mode == proxyStall
	if stall {
		p.stalledConns++
	}
	p.mu.Unlock()
	if stall {
		return
	}
	upstream, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(upstream) {
		client.Close()
		return
	}
	go func() {
		io.Copy(upstream, client)
		upstream.Close()
	}()
	io.Copy(client, upstream)
	client.Close()
}

// TestStorageFailurePostgres runs a server on PostgreSQL through a proxy,
// cuts the proxy, and checks that requests fail quickly with 503 and never
// redirect, then restores it and checks that the server recovers by itself
// with its data.
func TestStorageFailurePostgres(t *testing.T) {
	ctx := context.Background()
	dsn, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatalf("parse test URL: %v", err)
	}
	proxy := startTCPProxy(t, dsn.Host)
	dsn.Host = proxy.addr
	store, err := postgres.Open(ctx, dsn.String())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	e := newEnvWithStore(t, store)
	refreshToken := str(e.exchange(e.code(nil)).body["refresh_token"])

	proxy.set(proxyRefuse)
	checkUnavailable(t, e, refreshToken, 3*time.Second)
	proxy.set(proxyForward)
	waitUntilReady(t, e)
	wantStatus(t, e.refresh(refreshToken), http.StatusOK)
	refreshToken = str(e.exchange(e.code(nil)).body["refresh_token"])

	// A database that accepts connections and never responds costs a
	// request the connect timeout, 5 s by default, and not more. After the
	// pause, the pool pings its idle connections before use, finds them
	// closed, and opens new ones.
	proxy.set(proxyStall)
	time.Sleep(1100 * time.Millisecond)
	start := time.Now()
	wantUnavailable(t, e.token(url.Values{"grant_type": {"client_credentials"}}))
	took := time.Since(start)
	t.Logf("token request to a stalled database failed after %v", took)
	if took > postgres.DefaultConnectTimeout+3*time.Second {
		t.Errorf("token request to a stalled database took %v, want about %v",
			took, postgres.DefaultConnectTimeout)
	}
	if proxy.stalled() == 0 {
		t.Error("no connection reached the stalled proxy, want the request to open one")
	}
	proxy.set(proxyForward)
	waitUntilReady(t, e)
	wantStatus(t, e.refresh(refreshToken), http.StatusOK)
}

// checkUnavailable checks the responses of a server whose database is down:
// 503 temporarily_unavailable on the token endpoint, 503 from /readyz, and
// an HTML error page without a redirect from authorize, whose client cannot
// be verified. Each must come within limit.
func checkUnavailable(t *testing.T, e *env, refreshToken string, limit time.Duration) {
	t.Helper()
	timed := func(name string, fn func()) {
		t.Helper()
		start := time.Now()
		fn()
		if took := time.Since(start); took > limit {
			t.Errorf("%s took %v during the outage, want under %v", name, took, limit)
		}
	}
	timed("client credentials", func() {
		wantUnavailable(t, e.token(url.Values{"grant_type": {"client_credentials"}}))
	})
	timed("refresh", func() { wantUnavailable(t, e.refresh(refreshToken)) })
	timed("readyz", func() {
		resp, err := http.Get(e.issuer + "/readyz")
		if err != nil {
			t.Fatalf("GET /readyz: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("got /readyz status %d, want 503", resp.StatusCode)
		}
	})
	timed("authorize", func() {
		p := e.newBrowser().get(e.authorizeURL(e.authorizeParams(nil)))
		if p.resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("got authorize status %d, want 503:\n%s", p.resp.StatusCode, p.body)
		}
		if location := p.resp.Header.Get("Location"); location != "" {
			t.Errorf("authorize redirected to %q, want an error page", location)
		}
		if ct := p.resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("got authorize Content-Type %q, want text/html", ct)
		}
	})
}

// wantUnavailable checks a 503 temporarily_unavailable with Retry-After.
func wantUnavailable(t *testing.T, r jsonResponse) {
	t.Helper()
	wantError(t, r, http.StatusServiceUnavailable, "temporarily_unavailable")
	if r.resp.Header.Get("Retry-After") == "" {
		t.Error("got no Retry-After header, want one")
	}
}

// waitUntilReady polls /readyz until it returns 200, and fails the test
// after 15 s.
func waitUntilReady(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		resp, err := http.Get(e.issuer + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = errors.New(resp.Status)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("/readyz still fails 15 s after the database came back: %v", last)
}
