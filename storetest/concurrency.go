package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/consentry/consentry"
)

// racers is how many goroutines each concurrency test starts at once.
const racers = 20

// race calls fn(0) to fn(racers-1) in goroutines released together and
// returns their errors by index.
func race(fn func(i int) error) []error {
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner checks that exactly one call succeeded and every other one got
// consentry.ErrConflict, and returns the index of the winner, or -1.
func oneWinner(t *testing.T, errs []error) int {
	t.Helper()
	winner := -1
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winner = i
			wins++
		case !errors.Is(err, consentry.ErrConflict):
			t.Errorf("call %d: got error %v, want nil or %v", i, err, consentry.ErrConflict)
		}
	}
	if wins != 1 {
		t.Errorf("got %d successful calls, want exactly 1", wins)
		return -1
	}
	return winner
}

func testConcurrentRotate(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	c, rt, _ := e.live("alice")
	now := after(time.Hour)
	next := make([]consentry.RefreshToken, racers)
	access := make([]consentry.AccessToken, racers)
	for i := range racers {
		next[i], access[i] = e.pair(c, rt.Hash, now)
	}

	errs := race(func(i int) error {
		return s.RotateRefreshToken(e.ctx, rt.Hash, now, next[i], access[i])
	})
	winner := oneWinner(t, errs)
	if winner < 0 {
		return
	}
	for i := range racers {
		_, _, err := s.GetRefreshToken(e.ctx, next[i].Hash)
		if i == winner {
			must(t, err)
			continue
		}
		wantErr(t, err, consentry.ErrNotFound)
	}

	// The winner's token keeps working.
	third, thirdAT := e.pair(c, next[winner].Hash, after(2*time.Hour))
	must(t, s.RotateRefreshToken(e.ctx, next[winner].Hash, after(2*time.Hour), third, thirdAT))
}

func testConcurrentRedeem(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	_, code := e.connect(e.client.ID, "alice", t0)
	errs := race(func(int) error {
		_, err := s.RedeemCode(e.ctx, code.Hash, after(time.Second))
		return err
	})
	oneWinner(t, errs)
}

func testConcurrentCompleteSignIn(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	r := e.createRequest(e.client.ID, consentry.StageSignIn, "")
	errs := race(func(i int) error {
		return s.CompleteSignIn(e.ctx, r.ID, r.SessionHash, fmt.Sprint("user", i),
			digest(fmt.Sprint("session", i)), after(time.Minute))
	})
	winner := oneWinner(t, errs)
	if winner < 0 {
		return
	}
	got, err := s.GetAuthRequest(e.ctx, r.ID)
	must(t, err)
	if want := fmt.Sprint("user", winner); got.UserID != want {
		t.Errorf("got user %q, want the winner's %q", got.UserID, want)
	}
	if want := digest(fmt.Sprint("session", winner)); !bytes.Equal(got.SessionHash, want) {
		t.Errorf("got session hash %x, want the winner's %x", got.SessionHash, want)
	}
}

func testConcurrentApprove(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	r := e.createRequest(e.client.ID, consentry.StageConsent, "alice")
	approvals := make([]consentry.Approval, racers)
	for i := range racers {
		approvals[i] = e.approval(r, []string{consentry.ScopeAccountBasic}, after(time.Minute))
	}
	errs := race(func(i int) error {
		_, err := s.ApproveAuthRequest(e.ctx, approvals[i])
		return err
	})
	winner := oneWinner(t, errs)
	if winner < 0 {
		return
	}
	for i, a := range approvals {
		_, err := s.RedeemCode(e.ctx, a.Code.Hash, after(time.Minute))
		if i == winner {
			must(t, err)
			continue
		}
		wantErr(t, err, consentry.ErrNotFound)
	}
	list, err := s.ListConnections(e.ctx, e.client.ID)
	must(t, err)
	if len(list) != 1 {
		t.Errorf("got %d connections, want 1", len(list))
	}
}

// testConcurrentApproveSameUser approves separate requests of one user at
// once: every approval succeeds and they share one active connection.
func testConcurrentApproveSameUser(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	approvals := make([]consentry.Approval, racers)
	for i := range racers {
		r := e.createRequest(e.client.ID, consentry.StageConsent, "alice")
		approvals[i] = e.approval(r, []string{consentry.ScopeAccountBasic}, after(time.Minute))
	}
	ids := make([]string, racers)
	errs := race(func(i int) error {
		c, err := s.ApproveAuthRequest(e.ctx, approvals[i])
		ids[i] = c.ID
		return err
	})
	for i, err := range errs {
		wantErr(t, err, nil)
		if ids[i] != ids[0] {
			t.Errorf("approval %d: got connection %q, want %q", i, ids[i], ids[0])
		}
	}
	list, err := s.ListConnections(e.ctx, e.client.ID)
	must(t, err)
	if len(list) != 1 {
		t.Errorf("got %d connections, want 1", len(list))
	}
}

func testConcurrentReplaceSuccessor(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	c, rt, _ := e.live("alice")
	successor, successorAT := e.pair(c, rt.Hash, after(time.Hour))
	must(t, s.RotateRefreshToken(e.ctx, rt.Hash, after(time.Hour), successor, successorAT))

	now := after(time.Hour + time.Second)
	next := make([]consentry.RefreshToken, racers)
	access := make([]consentry.AccessToken, racers)
	for i := range racers {
		next[i], access[i] = e.pair(c, rt.Hash, now)
	}
	errs := race(func(i int) error {
		return s.ReplaceSuccessor(e.ctx, successor.Hash, now, next[i], access[i])
	})
	winner := oneWinner(t, errs)
	if winner < 0 {
		return
	}
	got, err := s.GetSuccessor(e.ctx, rt.Hash)
	must(t, err)
	if !bytes.Equal(got.Hash, next[winner].Hash) {
		t.Errorf("got successor %x, want the winner's %x", got.Hash, next[winner].Hash)
	}
}

func testConcurrentEnsureSecret(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	values := make([][]byte, racers)
	errs := race(func(i int) error {
		var err error
		values[i], err = s.EnsureSecret(e.ctx, "subject-key", []byte(fmt.Sprint("value", i)))
		return err
	})
	for i, err := range errs {
		wantErr(t, err, nil)
		if !bytes.Equal(values[i], values[0]) {
			t.Errorf("caller %d: got %q, want %q like caller 0", i, values[i], values[0])
		}
	}
}

func testConcurrentFirstSigningKey(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	created := make([]bool, racers)
	errs := race(func(i int) error {
		var err error
		created[i], err = s.CreateFirstSigningKey(e.ctx, sampleKey(fmt.Sprint("key", i), t0))
		return err
	})
	count := 0
	for i, err := range errs {
		wantErr(t, err, nil)
		if created[i] {
			count++
		}
	}
	if count != 1 {
		t.Errorf("got %d callers creating a key, want 1", count)
	}
	keys, err := s.ListSigningKeys(e.ctx)
	must(t, err)
	if len(keys) != 1 {
		t.Errorf("got %d stored keys, want 1", len(keys))
	}
}
