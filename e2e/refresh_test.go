package e2e_test

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

const reuseMetric = "consentry_refresh_reuse_detected_total"

// refreshTokenOf returns the refresh_token member of a token response.
func refreshTokenOf(r jsonResponse) string {
	return str(r.body["refresh_token"])
}

func TestRefreshRotation(t *testing.T) {
	e := newEnv(t)
	first := e.userTokens()
	second := e.refreshOK(refreshTokenOf(first))
	if refreshTokenOf(second) == refreshTokenOf(first) {
		t.Fatal("got the same refresh_token, want a new one")
	}
	if str(second.body["access_token"]) == str(first.body["access_token"]) {
		t.Error("got the same access_token, want a new one")
	}
	wantOAuthError(t, e.refresh(refreshTokenOf(first)), http.StatusBadRequest, "invalid_grant")
	third := e.refreshOK(refreshTokenOf(second))
	wantOAuthError(t, e.refresh(refreshTokenOf(second)), http.StatusBadRequest, "invalid_grant")
	e.refreshOK(refreshTokenOf(third))
}

// TestRefreshReuseWindow checks the race window: a used token presented
// again within it fails without harm, later it revokes the connection as
// a theft (RFC 9700 §4.14.2).
func TestRefreshReuseWindow(t *testing.T) {
	tests := []struct {
		name        string
		delay       time.Duration
		wantRevoked bool
	}{
		{"immediately", 0, false},
		{"after 4 s", 4 * time.Second, false},
		{"after exactly 5 s", 5 * time.Second, false},
		{"after 6 s", 6 * time.Second, true},
		{"after a day", 24 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.metricValue(reuseMetric)
			first := e.userTokens()
			second := e.refreshOK(refreshTokenOf(first))
			e.clock.Advance(tt.delay)

			r := e.refresh(refreshTokenOf(first))
			wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant")

			wantDetections := before
			if tt.wantRevoked {
				wantDetections++
			}
			if got := e.metricValue(reuseMetric); got != wantDetections {
				t.Errorf("got %s %v, want %v", reuseMetric, got, wantDetections)
			}
			if tt.delay < 300*time.Second {
				e.wantUserTokenRevoked(str(second.body["access_token"]), tt.wantRevoked)
			}
			newest := e.refresh(refreshTokenOf(second))
			if tt.wantRevoked {
				wantOAuthError(t, newest, http.StatusBadRequest, "invalid_grant")
				return
			}
			wantStatus(t, newest, http.StatusOK)
		})
	}
}

// TestRefreshConcurrent sends one refresh token in many requests at once:
// exactly one may win, and the winner's token must keep working.
func TestRefreshConcurrent(t *testing.T) {
	const requests = 20
	e := newEnv(t)
	token := refreshTokenOf(e.userTokens())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: requests}}

	type result struct {
		status int
		body   map[string]any
		err    error
	}
	results := make([]result, requests)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, body, err := rawRefresh(client, e.issuer, token)
			results[i] = result{status, body, err}
		}()
	}
	close(start)
	wg.Wait()

	var winners []string
	for i, res := range results {
		switch {
		case res.err != nil:
			t.Errorf("request %d: %v", i, res.err)
		case res.status == http.StatusOK:
			winners = append(winners, str(res.body["refresh_token"]))
		case res.status != http.StatusBadRequest || str(res.body["error"]) != "invalid_grant":
			t.Errorf("request %d: got status %d error %v, want 400 invalid_grant",
				i, res.status, res.body["error"])
		}
	}
	if len(winners) != 1 {
		t.Fatalf("got %d successful refreshes, want exactly 1", len(winners))
	}
	e.refreshOK(winners[0])
}

// TestRefreshSupersededBySignIn checks that a new authorization of the same
// user and client makes every earlier refresh token of the connection
// unusable, without revoking the connection.
func TestRefreshSupersededBySignIn(t *testing.T) {
	e := newEnv(t)
	first := e.userTokens()
	rotated := e.refreshOK(refreshTokenOf(first))
	before := e.metricValue(reuseMetric)

	again := e.userTokens()
	if a, b := str(first.body["connection_id"]), str(again.body["connection_id"]); a != b {
		t.Errorf("got connection_id %q for the new sign-in, want %q", b, a)
	}
	wantOAuthError(t, e.refresh(refreshTokenOf(rotated)), http.StatusBadRequest, "invalid_grant")
	e.clock.Advance(10 * time.Second)
	wantOAuthError(t, e.refresh(refreshTokenOf(first)), http.StatusBadRequest, "invalid_grant")
	if got := e.metricValue(reuseMetric); got != before {
		t.Errorf("got %s %v, want %v: a superseded token is no theft", reuseMetric, got, before)
	}
	e.refreshOK(refreshTokenOf(again))
}

func TestRefreshIdleExpiry(t *testing.T) {
	const idle = 30 * 24 * time.Hour
	tests := []struct {
		name   string
		idle   time.Duration
		wantOK bool
	}{
		{"just under 30 days", idle - time.Second, true},
		{"30 days", idle, false},
		{"31 days", idle + 24*time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			first := e.userTokens()
			e.clock.Advance(tt.idle)
			r := e.refresh(refreshTokenOf(first))
			if !tt.wantOK {
				wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant")
				return
			}
			wantStatus(t, r, http.StatusOK)
			// Each use restarts the idle timeout.
			e.clock.Advance(tt.idle)
			e.refreshOK(refreshTokenOf(r))
		})
	}
}

func TestRefreshScope(t *testing.T) {
	tests := []struct {
		name      string
		scope     string
		wantError string
		wantScope string
	}{
		{"same scope", "ACCOUNT_BASIC TRANSACTIONS", "", "ACCOUNT_BASIC TRANSACTIONS"},
		{"narrower", "ACCOUNT_BASIC", "", "ACCOUNT_BASIC"},
		{"narrower other", "TRANSACTIONS", "", "TRANSACTIONS"},
		{"reordered", "TRANSACTIONS ACCOUNT_BASIC", "", "TRANSACTIONS ACCOUNT_BASIC"},
		{"broader", "ACCOUNT_BASIC TRANSACTIONS STATEMENTS", "invalid_scope", ""},
		{"other scope", "STATEMENTS", "invalid_scope", ""},
		{"unknown", "ACCOUNT_BASIC NOPE", "invalid_scope", ""},
		{"management", "client:admin", "invalid_scope", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			token := refreshTokenOf(e.userTokens())
			r := e.token(refreshForm(token, tt.scope))
			if tt.wantError != "" {
				wantOAuthError(t, r, http.StatusBadRequest, tt.wantError)
				// A rejected scope leaves the token unused.
				e.refreshOK(token)
				return
			}
			wantStatus(t, r, http.StatusOK)
			if got := str(r.body["scope"]); got != tt.wantScope {
				t.Errorf("got scope %q, want %q", got, tt.wantScope)
			}
			claims := jwtSegment(t, str(r.body["access_token"]), 1)
			if got := str(claims["scope"]); got != tt.wantScope {
				t.Errorf("got access token scope %q, want %q", got, tt.wantScope)
			}
			// The new refresh token keeps the whole grant.
			full := e.refreshOK(refreshTokenOf(r))
			if got := str(full.body["scope"]); got != "ACCOUNT_BASIC TRANSACTIONS" {
				t.Errorf("got scope %q on the next refresh, want ACCOUNT_BASIC TRANSACTIONS", got)
			}
		})
	}
}

// TestRefreshOtherClient checks that a refresh token is bound to its client
// and that presenting it as another client harms nothing.
func TestRefreshOtherClient(t *testing.T) {
	e := newEnv(t)
	id, secret := e.secondClient()
	theirs := e.tokensOf(id, secret)
	wantOAuthError(t, e.refresh(refreshTokenOf(theirs)), http.StatusBadRequest, "invalid_grant")

	mine := e.userTokens()
	r := e.post(tokenPath, refreshForm(refreshTokenOf(mine), ""), id, secret)
	wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant")

	r = e.post(tokenPath, refreshForm(refreshTokenOf(theirs), ""), id, secret)
	wantStatus(t, r, http.StatusOK)
	e.refreshOK(refreshTokenOf(mine))
}

// TestRefreshGrantNotRegistered checks that a client registered without the
// refresh_token grant gets no refresh token and cannot refresh.
func TestRefreshGrantNotRegistered(t *testing.T) {
	e := newEnv(t)
	id, secret := e.secondClient("authorization_code")
	query := e.authorize(e.authorizeParams(map[string][]string{
		"client_id": {id}, "redirect_uri": {secondClientRedirect},
	}))
	form := codeExchange(query.Get("code"))
	form.Set("redirect_uri", secondClientRedirect)
	r := e.post(tokenPath, form, id, secret)
	wantStatus(t, r, http.StatusOK)
	if _, ok := r.body["refresh_token"]; ok {
		t.Errorf("got refresh_token %v, want none", r.body["refresh_token"])
	}
	r = e.post(tokenPath, refreshForm("anything", ""), id, secret)
	wantOAuthError(t, r, http.StatusBadRequest, "unauthorized_client")
}

// TestRefreshReuseWithScope checks that a used token presented after the
// race window is treated as a theft whatever scope it requests, so that a
// bad scope cannot hide the reuse.
func TestRefreshReuseWithScope(t *testing.T) {
	for _, scope := range []string{"ACCOUNT_BASIC", "ACCOUNT_BASIC TRANSACTIONS STATEMENTS", "NOPE",
		"client:admin"} {
		t.Run(scope, func(t *testing.T) {
			e := newEnv(t)
			before := e.metricValue(reuseMetric)
			first := e.userTokens()
			second := e.refreshOK(refreshTokenOf(first))
			e.clock.Advance(6 * time.Second)

			r := e.token(refreshForm(refreshTokenOf(first), scope))
			wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant")
			if got := e.metricValue(reuseMetric); got != before+1 {
				t.Errorf("got %s %v, want %v", reuseMetric, got, before+1)
			}
			wantOAuthError(t, e.refresh(refreshTokenOf(second)), http.StatusBadRequest, "invalid_grant")
		})
	}
}
