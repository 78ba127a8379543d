package storetest

import (
	"testing"
	"time"

	"github.com/consentry/consentry"
)

func testAuthRequestRoundTrip(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	want := e.request(e.client.ID, consentry.StageSignIn, "")
	must(t, s.CreateAuthRequest(e.ctx, want))
	got, err := s.GetAuthRequest(e.ctx, want.ID)
	must(t, err)
	equal(t, "request", got, want)

	wantErr(t, s.CreateAuthRequest(e.ctx, want), consentry.ErrConflict)
	wantNotFound(t)(s.GetAuthRequest(e.ctx, "no-such-request"))

	unknownClient := e.request("no-such-client", consentry.StageSignIn, "")
	wantErr(t, s.CreateAuthRequest(e.ctx, unknownClient), consentry.ErrNotFound)
}

func testCompleteSignIn(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	newSession := digest("session after sign-in")
	tests := []struct {
		name    string
		stage   consentry.AuthStage
		session func(r consentry.AuthRequest) []byte
		id      func(r consentry.AuthRequest) string
		now     time.Time
		want    error
	}{
		{name: "signed in", stage: consentry.StageSignIn, now: after(time.Minute)},
		{name: "other session", stage: consentry.StageSignIn, now: after(time.Minute),
			session: func(consentry.AuthRequest) []byte { return digest("other") },
			want:    consentry.ErrConflict},
		{name: "consent stage", stage: consentry.StageConsent, now: after(time.Minute),
			want: consentry.ErrConflict},
		{name: "done stage", stage: consentry.StageDone, now: after(time.Minute),
			want: consentry.ErrConflict},
		{name: "expired", stage: consentry.StageSignIn, now: after(15 * time.Minute),
			want: consentry.ErrConflict},
		{name: "unknown request", stage: consentry.StageSignIn, now: after(time.Minute),
			id:   func(consentry.AuthRequest) string { return "no-such-request" },
			want: consentry.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.createRequest(e.client.ID, tc.stage, "")
			session, id := r.SessionHash, r.ID
			if tc.session != nil {
				session = tc.session(r)
			}
			if tc.id != nil {
				id = tc.id(r)
			}
			err := s.CompleteSignIn(e.ctx, id, session, "alice", newSession, tc.now)
			wantErr(t, err, tc.want)

			got, err := s.GetAuthRequest(e.ctx, r.ID)
			must(t, err)
			want := r
			if tc.want == nil {
				want.Stage = consentry.StageConsent
				want.UserID = "alice"
				want.SessionHash = newSession
			}
			equal(t, "request", got, want)
		})
	}
}

func testCompleteSignInOnce(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	r := e.createRequest(e.client.ID, consentry.StageSignIn, "")
	newSession := digest("new session")
	must(t, s.CompleteSignIn(e.ctx, r.ID, r.SessionHash, "alice", newSession, t0))
	for _, session := range [][]byte{r.SessionHash, newSession} {
		err := s.CompleteSignIn(e.ctx, r.ID, session, "mallory", digest("x"), t0)
		wantErr(t, err, consentry.ErrConflict)
	}
}

func testFinishAuthRequest(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	tests := []struct {
		name   string
		stored consentry.AuthStage
		stage  consentry.AuthStage
		other  bool // use another session
		want   error
	}{
		{name: "from sign-in", stored: consentry.StageSignIn, stage: consentry.StageSignIn},
		{name: "from consent", stored: consentry.StageConsent, stage: consentry.StageConsent},
		{name: "wrong stage", stored: consentry.StageConsent, stage: consentry.StageSignIn,
			want: consentry.ErrConflict},
		{name: "other session", stored: consentry.StageSignIn, stage: consentry.StageSignIn,
			other: true, want: consentry.ErrConflict},
		{name: "already done", stored: consentry.StageDone, stage: consentry.StageDone,
			want: consentry.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.createRequest(e.client.ID, tc.stored, "alice")
			session := r.SessionHash
			if tc.other {
				session = digest("other")
			}
			wantErr(t, s.FinishAuthRequest(e.ctx, r.ID, session, tc.stage), tc.want)

			got, err := s.GetAuthRequest(e.ctx, r.ID)
			must(t, err)
			wantStage := tc.stored
			if tc.want == nil {
				wantStage = consentry.StageDone
			}
			if got.Stage != wantStage {
				t.Errorf("got stage %q, want %q", got.Stage, wantStage)
			}
		})
	}

	t.Run("expired request", func(t *testing.T) {
		// FinishAuthRequest takes no clock, so that the server can send
		// session_expired for an expired request exactly once.
		r := e.request(e.client.ID, consentry.StageSignIn, "")
		r.ExpiresAt = t0.Add(-time.Hour)
		must(t, s.CreateAuthRequest(e.ctx, r))
		must(t, s.FinishAuthRequest(e.ctx, r.ID, r.SessionHash, consentry.StageSignIn))
		wantErr(t, s.FinishAuthRequest(e.ctx, r.ID, r.SessionHash, consentry.StageSignIn),
			consentry.ErrConflict)
	})
	t.Run("unknown request", func(t *testing.T) {
		err := s.FinishAuthRequest(e.ctx, "no-such-request", digest("x"), consentry.StageSignIn)
		wantErr(t, err, consentry.ErrNotFound)
	})
}

func testApproveAuthRequest(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	r := e.createRequest(e.client.ID, consentry.StageConsent, "alice")
	scopes := []string{consentry.ScopeAccountBasic, consentry.ScopeTransactions}
	a := e.approval(r, scopes, after(time.Minute))

	got, err := s.ApproveAuthRequest(e.ctx, a)
	must(t, err)
	equal(t, "returned connection", got, a.Connection)
	equal(t, "stored connection", e.connection(a.Connection.ID), a.Connection)

	stored, err := s.GetAuthRequest(e.ctx, r.ID)
	must(t, err)
	if stored.Stage != consentry.StageDone {
		t.Errorf("got request stage %q, want %q", stored.Stage, consentry.StageDone)
	}

	code, err := s.RedeemCode(e.ctx, a.Code.Hash, after(2*time.Minute))
	must(t, err)
	wantCode := a.Code
	wantCode.ConnectionID = a.Connection.ID
	wantCode.UsedAt = timePtr(after(2 * time.Minute))
	equal(t, "code", code, wantCode)

	// The request is finished: a second approval is rejected.
	again := e.approval(r, scopes, after(time.Minute))
	_, err = s.ApproveAuthRequest(e.ctx, again)
	wantErr(t, err, consentry.ErrConflict)
	wantNotFound(t)(s.RedeemCode(e.ctx, again.Code.Hash, t0))
}

func testApproveAuthRequestRejected(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	tests := []struct {
		name  string
		stage consentry.AuthStage
		edit  func(a *consentry.Approval)
		want  error
	}{
		{name: "sign-in stage", stage: consentry.StageSignIn, want: consentry.ErrConflict},
		{name: "done stage", stage: consentry.StageDone, want: consentry.ErrConflict},
		{name: "other session", stage: consentry.StageConsent,
			edit: func(a *consentry.Approval) { a.SessionHash = digest("other") },
			want: consentry.ErrConflict},
		{name: "expired", stage: consentry.StageConsent,
			edit: func(a *consentry.Approval) { a.Now = after(15 * time.Minute) },
			want: consentry.ErrConflict},
		{name: "unknown request", stage: consentry.StageConsent,
			edit: func(a *consentry.Approval) { a.AuthRequestID = "no-such-request" },
			want: consentry.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.createRequest(e.client.ID, tc.stage, "alice")
			a := e.approval(r, []string{consentry.ScopeAccountBasic}, after(time.Minute))
			if tc.edit != nil {
				tc.edit(&a)
			}
			_, err := s.ApproveAuthRequest(e.ctx, a)
			wantErr(t, err, tc.want)

			// Nothing was stored.
			wantNotFound(t)(s.GetConnection(e.ctx, a.Connection.ID))
			wantNotFound(t)(s.RedeemCode(e.ctx, a.Code.Hash, t0))
			got, err := s.GetAuthRequest(e.ctx, r.ID)
			must(t, err)
			if got.Stage != tc.stage {
				t.Errorf("got stage %q, want %q", got.Stage, tc.stage)
			}
		})
	}
}

// testGrantSupersession checks that a new approval for the same client,
// provider and user updates the active connection and makes the earlier
// grant's tokens unusable.
func testGrantSupersession(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	first, rt, at := e.live("alice")

	r := e.createRequest(e.client.ID, consentry.StageConsent, "alice")
	scopes := []string{consentry.ScopeAccountBasic, consentry.ScopeStatements}
	a := e.approval(r, scopes, after(10*time.Minute))
	second, err := s.ApproveAuthRequest(e.ctx, a)
	must(t, err)

	want := first
	want.Scopes = scopes
	want.GrantID = a.Connection.GrantID
	want.UpdatedAt = after(10 * time.Minute)
	equal(t, "superseded connection", second, want)
	equal(t, "stored connection", e.connection(first.ID), want)
	wantNotFound(t)(s.GetConnection(e.ctx, a.Connection.ID))

	code, err := s.RedeemCode(e.ctx, a.Code.Hash, after(10*time.Minute))
	must(t, err)
	if code.ConnectionID != first.ID {
		t.Errorf("got code connection %q, want %q", code.ConnectionID, first.ID)
	}

	old := e.refreshToken(rt.Hash)
	if old.RevokedAt == nil || !old.RevokedAt.Equal(after(10*time.Minute)) {
		t.Errorf("got old refresh token RevokedAt %v, want %v", old.RevokedAt, after(10*time.Minute))
	}
	if got := e.accessToken(at.ID); got.RevokedAt != nil {
		t.Errorf("got old access token RevokedAt %v, want nil", got.RevokedAt)
	}

	next, nextAT := e.pair(first, rt.Hash, after(2*time.Hour))
	err = s.RotateRefreshToken(e.ctx, rt.Hash, after(2*time.Hour), next, nextAT)
	wantErr(t, err, consentry.ErrConflict)

	// The old grant's code cannot issue tokens any more; the new one can.
	stale, staleAT := e.pair(first, nil, after(2*time.Hour))
	wantErr(t, s.IssueCodeTokens(e.ctx, stale, staleAT), consentry.ErrConflict)
	e.issue(second, after(2*time.Hour))

	list, err := s.ListConnections(e.ctx, e.client.ID)
	must(t, err)
	if len(list) != 1 {
		t.Errorf("got %d connections, want 1", len(list))
	}
}

func testApproveCreatesSeparateConnections(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	alice, _ := e.connect(e.client.ID, "alice", t0)
	bob, _ := e.connect(e.client.ID, "bob", t0)
	if alice.ID == bob.ID {
		t.Errorf("got one connection %q for two users, want two", alice.ID)
	}

	must(t, s.RevokeConnection(e.ctx, alice.ID, after(time.Minute)))
	again, _ := e.connect(e.client.ID, "alice", after(10*time.Minute))
	if again.ID == alice.ID {
		t.Errorf("got revoked connection %q back, want a new one", again.ID)
	}
	if again.RevokedAt != nil {
		t.Errorf("got RevokedAt %v for the new connection, want nil", again.RevokedAt)
	}
	if got := e.connection(alice.ID); got.RevokedAt == nil {
		t.Error("got revoked connection active again, want it revoked")
	}
}
