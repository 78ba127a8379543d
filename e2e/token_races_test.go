package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/server"
)

// raceStore wraps a store and makes chosen writes and re-reads fail, to
// reproduce what a request reads when another request or the garbage
// collector changed the rows between its read and its write.
type raceStore struct {
	consentry.Store
	mu sync.Mutex
	// rotateErr, replaceErr and issueErr, when set, are returned by
	// RotateRefreshToken, ReplaceSuccessor and IssueCodeTokens without
	// writing anything.
	rotateErr, replaceErr, issueErr error
	// rereadErr is returned by every GetRefreshToken after the first one.
	rereadErr error
	reads     int
}

func (s *raceStore) set(change func(*raceStore)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	change(s)
	s.reads = 0
}

func (s *raceStore) RotateRefreshToken(ctx context.Context, oldHash []byte, now time.Time,
	next consentry.RefreshToken, at consentry.AccessToken) error {
	s.mu.Lock()
	err := s.rotateErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Store.RotateRefreshToken(ctx, oldHash, now, next, at)
}

func (s *raceStore) ReplaceSuccessor(ctx context.Context, successorHash []byte, now time.Time,
	next consentry.RefreshToken, at consentry.AccessToken) error {
	s.mu.Lock()
	err := s.replaceErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Store.ReplaceSuccessor(ctx, successorHash, now, next, at)
}

func (s *raceStore) IssueCodeTokens(ctx context.Context, rt consentry.RefreshToken,
	at consentry.AccessToken) error {
	s.mu.Lock()
	err := s.issueErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Store.IssueCodeTokens(ctx, rt, at)
}

func (s *raceStore) GetRefreshToken(ctx context.Context, hash []byte) (
	consentry.RefreshToken, consentry.Connection, error) {
	s.mu.Lock()
	s.reads++
	err := s.rereadErr
	if s.reads == 1 {
		err = nil
	}
	s.mu.Unlock()
	if err != nil {
		return consentry.RefreshToken{}, consentry.Connection{}, err
	}
	return s.Store.GetRefreshToken(ctx, hash)
}

func newRaceEnv(t *testing.T, configure ...func(*server.Config)) (*env, *raceStore) {
	t.Helper()
	store := newTestStore(t)
	races := &raceStore{Store: store}
	return newEnvWithStore(t, races, configure...), races
}

func wrapped(op string, err error) error {
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// TestRefreshStoreRaces checks the responses when rows changed between a
// refresh request's read and its write.
func TestRefreshStoreRaces(t *testing.T) {
	tests := []struct {
		name       string
		change     func(*raceStore)
		wantStatus int
		wantError  string
	}{
		{"lost race then token deleted", func(s *raceStore) {
			s.rotateErr = wrapped("rotate", consentry.ErrConflict)
			s.rereadErr = wrapped("get", consentry.ErrNotFound)
		}, 400, "invalid_grant"},
		{"lost race then store unreachable", func(s *raceStore) {
			s.rotateErr = wrapped("rotate", consentry.ErrConflict)
			s.rereadErr = wrapped("get", consentry.ErrUnavailable)
		}, 503, "temporarily_unavailable"},
		{"lost race on an unused token", func(s *raceStore) {
			s.rotateErr = wrapped("rotate", consentry.ErrConflict)
		}, 400, "invalid_grant"},
		{"token deleted before rotation", func(s *raceStore) {
			s.rotateErr = wrapped("rotate", consentry.ErrNotFound)
		}, 400, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, races := newRaceEnv(t)
			token := refreshTokenOf(e.userTokens())
			races.set(tt.change)
			r := e.refresh(token)
			races.set(func(s *raceStore) { s.rotateErr, s.rereadErr = nil, nil })
			wantOAuthError(t, r, tt.wantStatus, tt.wantError)
		})
	}
}

// TestRefreshGraceSuccessorDeleted checks that a retry whose unused pair
// disappeared before it could be replaced falls back to the reuse rules.
func TestRefreshGraceSuccessorDeleted(t *testing.T) {
	e, races := newRaceEnv(t, func(c *server.Config) { c.OAuth.RefreshGrace = testGrace })
	first := e.userTokens()
	lost := e.refreshOK(refreshTokenOf(first))
	races.set(func(s *raceStore) { s.replaceErr = wrapped("replace", consentry.ErrNotFound) })
	wantOAuthError(t, e.refresh(refreshTokenOf(first)), http.StatusBadRequest, "invalid_grant")
	races.set(func(s *raceStore) { s.replaceErr = nil })
	e.refreshOK(refreshTokenOf(lost))
}

// TestCodeConnectionDeleted checks that a code whose connection disappeared
// before its tokens were stored is invalid_grant, not a server error.
func TestCodeConnectionDeleted(t *testing.T) {
	for _, err := range []error{consentry.ErrNotFound, consentry.ErrConflict} {
		t.Run(err.Error(), func(t *testing.T) {
			e, races := newRaceEnv(t)
			code := e.code(url.Values{})
			races.set(func(s *raceStore) { s.issueErr = wrapped("issue", err) })
			wantOAuthError(t, e.token(codeExchange(code)), http.StatusBadRequest, "invalid_grant")
		})
	}
}

// TestCodeConcurrentExchange redeems one code in many requests at once: at
// most one may succeed, and because the others are replays, no token of
// the code may stay live.
func TestCodeConcurrentExchange(t *testing.T) {
	const requests = 10
	e := newEnv(t)
	code := e.code(url.Values{})
	form := codeExchange(code).Encode()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: requests}}

	var mu sync.Mutex
	var issued []string
	var wg sync.WaitGroup
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, body, err := rawTokenPost(client, e.issuer, form)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("exchange: %v", err)
			case status == http.StatusOK:
				issued = append(issued, str(body["refresh_token"]))
			case status != http.StatusBadRequest || str(body["error"]) != "invalid_grant":
				t.Errorf("got status %d error %v, want 200 or 400 invalid_grant", status, body["error"])
			}
		}()
	}
	wg.Wait()
	if len(issued) > 1 {
		t.Fatalf("got %d successful exchanges, want at most 1", len(issued))
	}
	for _, rt := range issued {
		wantOAuthError(t, e.refresh(rt), http.StatusBadRequest, "invalid_grant")
	}
}
