package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/server"
)

// lostAckStore stores what a chosen write method is given and then reports
// consentry.ErrUnavailable, once: the database committed, but the connection
// dropped before the answer to COMMIT arrived, as it does in an outage.
type lostAckStore struct {
	consentry.Store
	mu     sync.Mutex
	method string
}

// loseNextAck makes the next call of method lose its acknowledgement.
func (s *lostAckStore) loseNextAck(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.method = method
}

// lost reports whether this call of method loses its acknowledgement.
func (s *lostAckStore) lost(method string, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || s.method != method {
		return err
	}
	s.method = ""
	return fmt.Errorf("postgres: %s: conn closed: %w", method, consentry.ErrUnavailable)
}

func (s *lostAckStore) RotateRefreshToken(ctx context.Context, oldHash []byte, now time.Time,
	next consentry.RefreshToken, at consentry.AccessToken) error {
	return s.lost("RotateRefreshToken", s.Store.RotateRefreshToken(ctx, oldHash, now, next, at))
}

func (s *lostAckStore) ReplaceSuccessor(ctx context.Context, successorHash []byte, now time.Time,
	next consentry.RefreshToken, at consentry.AccessToken) error {
	return s.lost("ReplaceSuccessor", s.Store.ReplaceSuccessor(ctx, successorHash, now, next, at))
}

func (s *lostAckStore) IssueCodeTokens(ctx context.Context, rt consentry.RefreshToken,
	at consentry.AccessToken) error {
	return s.lost("IssueCodeTokens", s.Store.IssueCodeTokens(ctx, rt, at))
}

func (s *lostAckStore) CreateAccessToken(ctx context.Context, at consentry.AccessToken) error {
	return s.lost("CreateAccessToken", s.Store.CreateAccessToken(ctx, at))
}

// newLostAckEnv starts a server on a store whose writes can lose their
// acknowledgement.
func newLostAckEnv(t *testing.T, configure ...func(*server.Config)) (*env, *lostAckStore) {
	t.Helper()
	inner := newTestStore(t)
	store := &lostAckStore{Store: inner}
	return newEnvWithStore(t, store, configure...), store
}

// TestLostCommitAcknowledgement makes the database commit a token write and
// the server lose the answer. The pair is stored, so the server must hand
// it out: an error would send the client back with a token that the store
// already marked used or a code already redeemed, and its retry would fail,
// or after the reuse window revoke the whole connection.
func TestLostCommitAcknowledgement(t *testing.T) {
	t.Run("refresh", func(t *testing.T) {
		e, store := newLostAckEnv(t)
		refresh := str(e.userTokens().body["refresh_token"])
		store.loseNextAck("RotateRefreshToken")
		wantWorkingPair(t, e, e.refresh(refresh))
	})
	t.Run("refresh retry within the grace", func(t *testing.T) {
		e, store := newLostAckEnv(t, func(c *server.Config) { c.OAuth.RefreshGrace = time.Minute })
		refresh := str(e.userTokens().body["refresh_token"])
		wantStatus(t, e.refresh(refresh), http.StatusOK)
		store.loseNextAck("ReplaceSuccessor")
		wantWorkingPair(t, e, e.refresh(refresh))
	})
	t.Run("code exchange", func(t *testing.T) {
		e, store := newLostAckEnv(t)
		code := e.code(nil)
		store.loseNextAck("IssueCodeTokens")
		wantWorkingPair(t, e, e.token(codeExchange(code)))
	})
	t.Run("code exchange without refresh grant", func(t *testing.T) {
		e, store := newLostAckEnv(t)
		secret := e.createClient(consentry.Client{ID: "no-refresh",
			RedirectURIs: []string{"https://app.example/callback"},
			GrantTypes:   []string{consentry.GrantAuthorizationCode}})
		params := e.authorizeParams(nil)
		params.Set("client_id", "no-refresh")
		params.Set("redirect_uri", "https://app.example/callback")
		code := e.authorize(params).Get("code")
		store.loseNextAck("CreateAccessToken")
		form := codeExchange(code)
		form.Set("redirect_uri", "https://app.example/callback")
		r := e.post(tokenPath, form, "no-refresh", secret)
		wantStatus(t, r, http.StatusOK)
		if got := e.providersStatus(str(r.body["access_token"])); got != http.StatusForbidden {
			t.Errorf("providers with the user's access token: got status %d, want 403 "+
				"(a live token without client:admin)", got)
		}
	})
}

// wantWorkingPair checks that r issued a token pair whose refresh token
// works and whose access token is live.
func wantWorkingPair(t *testing.T, e *env, r jsonResponse) {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	intro := e.introspect(str(r.body["access_token"]), server.DevClientID, server.DevClientSecret)
	if intro.body["active"] != true {
		t.Errorf("access token of the pair: got introspection %s, want active", intro.raw)
	}
	wantStatus(t, e.refresh(str(r.body["refresh_token"])), http.StatusOK)
}
