package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/consentry/consentry"
)

// testDeleteExpired stores rows of every kind that expire just before the
// cutoff (now minus keep), at the cutoff, and after it, and checks that only
// the first go.
func testDeleteExpired(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	keep := time.Hour
	now := after(25 * time.Hour)
	cutoff := now.Add(-keep)
	expiries := []time.Time{cutoff.Add(-time.Millisecond), cutoff, cutoff.Add(time.Hour)}

	var requests []consentry.AuthRequest
	var codes []consentry.AuthCode
	var refresh []consentry.RefreshToken
	var access []consentry.AccessToken
	for i, expiry := range expiries {
		r := e.request(e.client.ID, consentry.StageSignIn, "")
		r.ExpiresAt = expiry
		must(t, s.CreateAuthRequest(e.ctx, r))
		requests = append(requests, r)

		// The approved request expires at t0+15m, long before the cutoff.
		approved := e.createRequest(e.client.ID, consentry.StageConsent, fmt.Sprint("user", i))
		a := e.approval(approved, []string{consentry.ScopeAccountBasic}, t0)
		a.Code.ExpiresAt = expiry
		c, err := s.ApproveAuthRequest(e.ctx, a)
		must(t, err)
		codes = append(codes, a.Code)

		rt, at := e.pair(c, nil, t0)
		rt.ExpiresAt, at.ExpiresAt = expiry, expiry
		must(t, s.IssueCodeTokens(e.ctx, rt, at))
		refresh = append(refresh, rt)
		access = append(access, at)

		must(t, s.LockLogin(e.ctx, fmt.Sprint("lock", i), expiry))
		_, err = s.RecordLoginFailure(e.ctx, "user:alice", expiry, t0)
		must(t, err)
	}

	// One row of each of six kinds, plus the three approved requests.
	n, err := s.DeleteExpired(e.ctx, now, keep, 100)
	must(t, err)
	if n != 9 {
		t.Errorf("got %d rows deleted, want 9", n)
	}
	for i := range expiries {
		deleted := i == 0
		_, err := s.GetAuthRequest(e.ctx, requests[i].ID)
		checkDeleted(t, fmt.Sprint("request ", i), err, deleted)
		_, err = s.RedeemCode(e.ctx, codes[i].Hash, now)
		checkDeleted(t, fmt.Sprint("code ", i), err, deleted)
		_, _, err = s.GetRefreshToken(e.ctx, refresh[i].Hash)
		checkDeleted(t, fmt.Sprint("refresh token ", i), err, deleted)
		_, err = s.GetAccessToken(e.ctx, access[i].ID)
		checkDeleted(t, fmt.Sprint("access token ", i), err, deleted)

		until, err := s.LoginLockedUntil(e.ctx, fmt.Sprint("lock", i))
		must(t, err)
		if until.IsZero() != deleted {
			t.Errorf("lock %d: got locked until %v, want deleted %v", i, until, deleted)
		}
	}
	failures, err := s.RecordLoginFailure(e.ctx, "user:alice", now, t0)
	must(t, err)
	if failures != 3 {
		t.Errorf("got %d login failures (2 kept and 1 new), want 3", failures)
	}

	n, err = s.DeleteExpired(e.ctx, now, keep, 100)
	must(t, err)
	if n != 0 {
		t.Errorf("second run: got %d rows deleted, want 0", n)
	}
}

// checkDeleted checks the error of a lookup: consentry.ErrNotFound when the
// row should be gone, nil or consentry.ErrConflict (a redeemed code) when
// not.
func checkDeleted(t *testing.T, row string, err error, wantDeleted bool) {
	t.Helper()
	if wantDeleted {
		wantErr(t, err, consentry.ErrNotFound)
		return
	}
	if err != nil && !errors.Is(err, consentry.ErrConflict) {
		t.Errorf("%s: got error %v, want it kept", row, err)
	}
}

func testDeleteExpiredLimit(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	for i := range 5 {
		must(t, s.LockLogin(e.ctx, fmt.Sprint("lock", i), t0))
		_, err := s.RecordLoginFailure(e.ctx, "user:alice", t0, t0)
		must(t, err)
	}
	now := after(time.Hour)
	// Each run deletes at most 2 rows of each kind.
	for i, want := range []int{4, 4, 2, 0} {
		n, err := s.DeleteExpired(e.ctx, now, time.Minute, 2)
		must(t, err)
		if n != want {
			t.Errorf("run %d: got %d rows deleted, want %d", i+1, n, want)
		}
	}

	for _, limit := range []int{0, -1} {
		if _, err := s.DeleteExpired(e.ctx, now, time.Minute, limit); err == nil {
			t.Errorf("limit %d: got nil error, want an error", limit)
		}
	}
}
