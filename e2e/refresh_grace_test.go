package e2e_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/server"
)

const testGrace = 10 * time.Second

// graceSetup is a server and a client for which the refresh retry grace is
// on, set either server-wide or on the client.
type graceSetup struct {
	e          *env
	id, secret string
}

func (g graceSetup) tokens() jsonResponse {
	g.e.t.Helper()
	if g.id == server.DevClientID {
		return g.e.userTokens()
	}
	return g.e.tokensOf(g.id, g.secret)
}

func (g graceSetup) refresh(token string) jsonResponse {
	g.e.t.Helper()
	return g.e.post(tokenPath, refreshForm(token, ""), g.id, g.secret)
}

func (g graceSetup) refreshOK(token string) jsonResponse {
	g.e.t.Helper()
	r := g.refresh(token)
	wantStatus(g.e.t, r, http.StatusOK)
	return r
}

// graceSetups returns the ways to turn on the grace, each building a fresh
// server for the test.
func graceSetups() []struct {
	name  string
	setup func(t *testing.T) graceSetup
} {
	return []struct {
		name  string
		setup func(t *testing.T) graceSetup
	}{
		{"server grace", func(t *testing.T) graceSetup {
			e := newEnv(t, func(c *server.Config) { c.OAuth.RefreshGrace = testGrace })
			return graceSetup{e, server.DevClientID, server.DevClientSecret}
		}},
		{"client grace", func(t *testing.T) graceSetup {
			e := newEnv(t)
			grace := testGrace
			id := "grace-client"
			secret := e.createClient(consentry.Client{ID: id, RefreshGrace: &grace})
			return graceSetup{e, id, secret}
		}},
	}
}

// TestRefreshGraceRetry checks that a client retrying with the token it just
// used, while the new one is unused, gets a fresh pair and that the unused
// pair stops working.
func TestRefreshGraceRetry(t *testing.T) {
	for _, s := range graceSetups() {
		t.Run(s.name, func(t *testing.T) {
			g := s.setup(t)
			before := g.e.metricValue(reuseMetric)
			first := g.tokens()
			lost := g.refreshOK(refreshTokenOf(first))
			g.e.clock.Advance(7 * time.Second)

			retried := g.refreshOK(refreshTokenOf(first))
			if refreshTokenOf(retried) == refreshTokenOf(lost) {
				t.Fatal("got the lost refresh_token again, want a fresh one")
			}
			wantOAuthError(t, g.refresh(refreshTokenOf(lost)), http.StatusBadRequest, "invalid_grant")
			g.e.wantUserTokenRevoked(str(lost.body["access_token"]), true)
			g.e.wantUserTokenRevoked(str(retried.body["access_token"]), false)
			if got := g.e.metricValue(reuseMetric); got != before {
				t.Errorf("got %s %v, want %v", reuseMetric, got, before)
			}
			g.refreshOK(refreshTokenOf(retried))
		})
	}
}

// TestRefreshGraceRepeatedRetries checks that each retry replaces the
// previous unused pair, so that only the newest token is live.
func TestRefreshGraceRepeatedRetries(t *testing.T) {
	for _, s := range graceSetups() {
		t.Run(s.name, func(t *testing.T) {
			g := s.setup(t)
			first := g.tokens()
			var issued []jsonResponse
			issued = append(issued, g.refreshOK(refreshTokenOf(first)))
			for range 3 {
				g.e.clock.Advance(time.Second)
				issued = append(issued, g.refreshOK(refreshTokenOf(first)))
			}
			for _, r := range issued[:len(issued)-1] {
				wantOAuthError(t, g.refresh(refreshTokenOf(r)), http.StatusBadRequest, "invalid_grant")
			}
			g.refreshOK(refreshTokenOf(issued[len(issued)-1]))
		})
	}
}

// TestRefreshGraceAfterNewestUsed checks that once the new token was used,
// the old one falls under the reuse rules again: harmless inside the race
// window, a theft after it even within the grace.
func TestRefreshGraceAfterNewestUsed(t *testing.T) {
	tests := []struct {
		name        string
		delay       time.Duration
		wantRevoked bool
	}{
		{"inside the race window", 2 * time.Second, false},
		{"after the race window", 7 * time.Second, true},
	}
	for _, s := range graceSetups() {
		for _, tt := range tests {
			t.Run(s.name+"/"+tt.name, func(t *testing.T) {
				g := s.setup(t)
				before := g.e.metricValue(reuseMetric)
				first := g.tokens()
				second := g.refreshOK(refreshTokenOf(first))
				third := g.refreshOK(refreshTokenOf(second))
				g.e.clock.Advance(tt.delay)

				wantOAuthError(t, g.refresh(refreshTokenOf(first)), http.StatusBadRequest, "invalid_grant")
				wantDetections := before
				if tt.wantRevoked {
					wantDetections++
				}
				if got := g.e.metricValue(reuseMetric); got != wantDetections {
					t.Errorf("got %s %v, want %v", reuseMetric, got, wantDetections)
				}
				r := g.refresh(refreshTokenOf(third))
				if tt.wantRevoked {
					wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant")
					return
				}
				wantStatus(t, r, http.StatusOK)
			})
		}
	}
}

// TestRefreshGraceExpired checks that a retry after the grace is a theft
// when it is also after the race window.
func TestRefreshGraceExpired(t *testing.T) {
	for _, s := range graceSetups() {
		t.Run(s.name, func(t *testing.T) {
			g := s.setup(t)
			first := g.tokens()
			lost := g.refreshOK(refreshTokenOf(first))
			g.e.clock.Advance(testGrace + time.Second)
			wantOAuthError(t, g.refresh(refreshTokenOf(first)), http.StatusBadRequest, "invalid_grant")
			wantOAuthError(t, g.refresh(refreshTokenOf(lost)), http.StatusBadRequest, "invalid_grant")
		})
	}
}

// TestRefreshGraceOtherClient checks that the grace serves only the client
// the token was issued to.
func TestRefreshGraceOtherClient(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.OAuth.RefreshGrace = testGrace })
	first := e.userTokens()
	lost := e.refreshOK(refreshTokenOf(first))
	id, secret := e.secondClient()
	r := e.post(tokenPath, refreshForm(refreshTokenOf(first), ""), id, secret)
	wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant")
	e.refreshOK(refreshTokenOf(lost))
}

// TestRefreshGraceClientOff checks that a client's own zero grace overrides
// the server's.
func TestRefreshGraceClientOff(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.OAuth.RefreshGrace = testGrace })
	off := time.Duration(0)
	id := "no-grace"
	secret := e.createClient(consentry.Client{ID: id, RefreshGrace: &off})
	g := graceSetup{e, id, secret}
	first := g.tokens()
	second := g.refreshOK(refreshTokenOf(first))
	e.clock.Advance(time.Second)
	wantOAuthError(t, g.refresh(refreshTokenOf(first)), http.StatusBadRequest, "invalid_grant")
	g.refreshOK(refreshTokenOf(second))
}

// TestRefreshGraceConcurrent sends one token in many requests at once with
// the grace on: however many succeed, only one refresh token may be live.
func TestRefreshGraceConcurrent(t *testing.T) {
	const requests = 10
	e := newEnv(t, func(c *server.Config) { c.OAuth.RefreshGrace = testGrace })
	token := refreshTokenOf(e.userTokens())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: requests}}

	var mu sync.Mutex
	var issued []string
	var wg sync.WaitGroup
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, body, err := rawRefresh(client, e.issuer, token)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("refresh: %v", err)
			case status == http.StatusOK:
				issued = append(issued, str(body["refresh_token"]))
			case status != http.StatusBadRequest || str(body["error"]) != "invalid_grant":
				t.Errorf("got status %d error %v, want 200 or 400 invalid_grant", status, body["error"])
			}
		}()
	}
	wg.Wait()
	if len(issued) == 0 {
		t.Fatal("got no successful refresh, want at least one")
	}

	live := 0
	for _, rt := range issued {
		if e.refresh(rt).resp.StatusCode == http.StatusOK {
			live++
		}
	}
	if live != 1 {
		t.Errorf("got %d live refresh tokens among %d issued, want 1", live, len(issued))
	}
}

// TestRefreshGraceRetryScope checks the scope of a retry within the grace:
// a narrower scope is served, a broader one is rejected without touching
// the unused pair.
func TestRefreshGraceRetryScope(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.OAuth.RefreshGrace = testGrace })
	first := e.userTokens()
	lost := e.refreshOK(refreshTokenOf(first))

	r := e.token(refreshForm(refreshTokenOf(first), "ACCOUNT_BASIC STATEMENTS"))
	wantOAuthError(t, r, http.StatusBadRequest, "invalid_scope")
	e.wantUserTokenRevoked(str(lost.body["access_token"]), false)

	r = e.token(refreshForm(refreshTokenOf(first), "ACCOUNT_BASIC"))
	wantStatus(t, r, http.StatusOK)
	if got := str(r.body["scope"]); got != "ACCOUNT_BASIC" {
		t.Errorf("got scope %q, want ACCOUNT_BASIC", got)
	}
	wantOAuthError(t, e.refresh(refreshTokenOf(lost)), http.StatusBadRequest, "invalid_grant")
	full := e.refreshOK(refreshTokenOf(r))
	if got := str(full.body["scope"]); got != "ACCOUNT_BASIC TRANSACTIONS" {
		t.Errorf("got scope %q on the next refresh, want ACCOUNT_BASIC TRANSACTIONS", got)
	}
}
