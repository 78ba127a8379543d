package storetest

import (
	"testing"
	"time"

	"github.com/consentry/consentry"
)

func testGetRefreshToken(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	c, rt, _ := e.live("alice")
	must(t, s.RevokeConnection(e.ctx, c.ID, after(time.Minute)))

	gotRT, gotConn, err := s.GetRefreshToken(e.ctx, rt.Hash)
	must(t, err)
	want := c
	want.RevokedAt = timePtr(after(time.Minute))
	equal(t, "connection", gotConn, want)
	if gotRT.RevokedAt == nil {
		t.Error("got refresh token RevokedAt nil, want the connection's revocation")
	}

	_, _, err = s.GetRefreshToken(e.ctx, digest("unknown"))
	wantErr(t, err, consentry.ErrNotFound)
}

func testRotateRefreshToken(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	c, rt, _ := e.live("alice")
	now := after(time.Hour)
	next, at := e.pair(c, rt.Hash, now)
	must(t, s.RotateRefreshToken(e.ctx, rt.Hash, now, next, at))

	used := e.refreshToken(rt.Hash)
	if used.UsedAt == nil || !used.UsedAt.Equal(now) {
		t.Errorf("got old token UsedAt %v, want %v", used.UsedAt, now)
	}
	equal(t, "next refresh token", e.refreshToken(next.Hash), next)
	equal(t, "access token", e.accessToken(at.ID), at)

	// The old token is spent; the new one rotates in turn.
	again, againAT := e.pair(c, rt.Hash, now)
	wantErr(t, s.RotateRefreshToken(e.ctx, rt.Hash, now, again, againAT), consentry.ErrConflict)
	third, thirdAT := e.pair(c, next.Hash, after(2*time.Hour))
	must(t, s.RotateRefreshToken(e.ctx, next.Hash, after(2*time.Hour), third, thirdAT))
}

func testRotateRefreshTokenRejected(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	tests := []struct {
		name string
		// prepare changes the stored state and returns the hash to rotate.
		prepare func(c consentry.Connection, rt consentry.RefreshToken) []byte
		want    error
	}{
		{name: "used token",
			prepare: func(c consentry.Connection, rt consentry.RefreshToken) []byte {
				next, at := e.pair(c, rt.Hash, t0)
				must(t, s.RotateRefreshToken(e.ctx, rt.Hash, t0, next, at))
				return rt.Hash
			},
			want: consentry.ErrConflict},
		{name: "revoked connection",
			prepare: func(c consentry.Connection, rt consentry.RefreshToken) []byte {
				must(t, s.RevokeConnection(e.ctx, c.ID, t0))
				return rt.Hash
			},
			want: consentry.ErrConflict},
		{name: "revoked token",
			prepare: func(c consentry.Connection, rt consentry.RefreshToken) []byte {
				e.issue(c, t0) // revokes rt
				return rt.Hash
			},
			want: consentry.ErrConflict},
		{name: "token of another grant",
			prepare: func(c consentry.Connection, rt consentry.RefreshToken) []byte {
				// The store takes the grant id of next as given, so a token
				// of a grant that is not the connection's can exist.
				next, at := e.pair(c, rt.Hash, t0)
				next.GrantID = "grant-of-the-past"
				must(t, s.RotateRefreshToken(e.ctx, rt.Hash, t0, next, at))
				return next.Hash
			},
			want: consentry.ErrConflict},
		{name: "unknown token",
			prepare: func(consentry.Connection, consentry.RefreshToken) []byte {
				return digest("unknown")
			},
			want: consentry.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, rt, _ := e.live(e.id("user"))
			hash := tc.prepare(c, rt)
			next, at := e.pair(c, hash, after(time.Hour))
			wantErr(t, s.RotateRefreshToken(e.ctx, hash, after(time.Hour), next, at), tc.want)
			_, _, err := s.GetRefreshToken(e.ctx, next.Hash)
			wantErr(t, err, consentry.ErrNotFound)
			wantNotFound(t)(s.GetAccessToken(e.ctx, at.ID))
		})
	}
}

// testRotateRefreshTokenAtomic checks that a rotation whose insert fails
// leaves the old token unused.
func testRotateRefreshTokenAtomic(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	c, rt, first := e.live("alice")
	next, at := e.pair(c, rt.Hash, after(time.Hour))
	at.ID = first.ID
	wantErr(t, s.RotateRefreshToken(e.ctx, rt.Hash, after(time.Hour), next, at),
		consentry.ErrConflict)
	if got := e.refreshToken(rt.Hash); got.UsedAt != nil {
		t.Errorf("got UsedAt %v after a failed rotation, want nil", got.UsedAt)
	}
	_, _, err := s.GetRefreshToken(e.ctx, next.Hash)
	wantErr(t, err, consentry.ErrNotFound)
}

func testGetSuccessor(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	c, rt, _ := e.live("alice")
	wantNotFound(t)(s.GetSuccessor(e.ctx, rt.Hash))

	now := after(time.Hour)
	next, at := e.pair(c, rt.Hash, now)
	must(t, s.RotateRefreshToken(e.ctx, rt.Hash, now, next, at))
	got, err := s.GetSuccessor(e.ctx, rt.Hash)
	must(t, err)
	equal(t, "successor", got, next)

	// A replacement in the same millisecond is still the newest successor.
	replacement, replacementAT := e.pair(c, rt.Hash, now)
	must(t, s.ReplaceSuccessor(e.ctx, next.Hash, now, replacement, replacementAT))
	got, err = s.GetSuccessor(e.ctx, rt.Hash)
	must(t, err)
	equal(t, "successor after replacement", got, replacement)
}

func testReplaceSuccessor(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	c, rt, _ := e.live("alice")
	next, nextAT := e.pair(c, rt.Hash, after(time.Hour))
	must(t, s.RotateRefreshToken(e.ctx, rt.Hash, after(time.Hour), next, nextAT))

	now := after(time.Hour + time.Second)
	replacement, replacementAT := e.pair(c, rt.Hash, now)
	must(t, s.ReplaceSuccessor(e.ctx, next.Hash, now, replacement, replacementAT))

	revoked := e.refreshToken(next.Hash)
	if revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(now) {
		t.Errorf("got successor RevokedAt %v, want %v", revoked.RevokedAt, now)
	}
	if got := e.accessToken(nextAT.ID); got.RevokedAt == nil || !got.RevokedAt.Equal(now) {
		t.Errorf("got successor access token RevokedAt %v, want %v", got.RevokedAt, now)
	}
	equal(t, "replacement", e.refreshToken(replacement.Hash), replacement)
	equal(t, "replacement access token", e.accessToken(replacementAT.ID), replacementAT)
}

func testReplaceSuccessorRejected(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	tests := []struct {
		name    string
		prepare func(c consentry.Connection, successor consentry.RefreshToken) []byte
		want    error
	}{
		{name: "successor used",
			prepare: func(c consentry.Connection, successor consentry.RefreshToken) []byte {
				next, at := e.pair(c, successor.Hash, t0)
				must(t, s.RotateRefreshToken(e.ctx, successor.Hash, t0, next, at))
				return successor.Hash
			},
			want: consentry.ErrConflict},
		{name: "successor replaced",
			prepare: func(c consentry.Connection, successor consentry.RefreshToken) []byte {
				next, at := e.pair(c, successor.ParentHash, t0)
				must(t, s.ReplaceSuccessor(e.ctx, successor.Hash, t0, next, at))
				return successor.Hash
			},
			want: consentry.ErrConflict},
		{name: "connection revoked",
			prepare: func(c consentry.Connection, successor consentry.RefreshToken) []byte {
				must(t, s.RevokeConnection(e.ctx, c.ID, t0))
				return successor.Hash
			},
			want: consentry.ErrConflict},
		{name: "grant superseded",
			prepare: func(c consentry.Connection, successor consentry.RefreshToken) []byte {
				// Approving again revokes the successor; bring back a live
				// token of the old grant the way a racing rotation could.
				e.connect(c.ClientID, c.UserID, t0)
				stale, at := e.pair(c, successor.ParentHash, t0)
				fresh := e.connection(c.ID)
				parent, parentAT := e.pair(fresh, nil, t0)
				must(t, s.IssueCodeTokens(e.ctx, parent, parentAT))
				must(t, s.RotateRefreshToken(e.ctx, parent.Hash, t0, stale, at))
				return stale.Hash
			},
			want: consentry.ErrConflict},
		{name: "unknown successor",
			prepare: func(consentry.Connection, consentry.RefreshToken) []byte {
				return digest("unknown")
			},
			want: consentry.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, rt, _ := e.live(e.id("user"))
			successor, at := e.pair(c, rt.Hash, t0)
			must(t, s.RotateRefreshToken(e.ctx, rt.Hash, t0, successor, at))
			hash := tc.prepare(c, successor)

			next, nextAT := e.pair(c, rt.Hash, after(time.Second))
			err := s.ReplaceSuccessor(e.ctx, hash, after(time.Second), next, nextAT)
			wantErr(t, err, tc.want)
			_, _, err = s.GetRefreshToken(e.ctx, next.Hash)
			wantErr(t, err, consentry.ErrNotFound)
		})
	}
}
