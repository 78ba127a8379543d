package storetest

import (
	"testing"
	"time"

	"github.com/consentry/consentry"
)

func testListConnections(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	other := e.createClient("client-b", e.provider.ID)
	first, _ := e.connect(e.client.ID, "alice", t0)
	second, _ := e.connect(other.ID, "alice", after(time.Minute))
	third, _ := e.connect(e.client.ID, "bob", after(2*time.Minute))

	tests := []struct {
		name     string
		clientID string
		want     []consentry.Connection
	}{
		{"every client", "", []consentry.Connection{third, second, first}},
		{"one client", e.client.ID, []consentry.Connection{third, first}},
		{"client without connections", "no-such-client", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListConnections(e.ctx, tc.clientID)
			must(t, err)
			equal(t, "connections", got, tc.want)
		})
	}

	wantNotFound(t)(s.GetConnection(e.ctx, "no-such-connection"))
}

// testRevokeConnection checks that revoking a connection revokes its refresh
// and access tokens and keeps revocation times that were set before.
func testRevokeConnection(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	c, rt, at := e.live("alice")
	next, nextAT := e.pair(c, rt.Hash, after(time.Minute))
	must(t, s.RotateRefreshToken(e.ctx, rt.Hash, after(time.Minute), next, nextAT))
	must(t, s.RevokeAccessToken(e.ctx, at.ID, after(2*time.Minute)))
	_, bystander, bystanderAT := e.live("bob")

	revokedAt := after(time.Hour)
	must(t, s.RevokeConnection(e.ctx, c.ID, revokedAt))
	must(t, s.RevokeConnection(e.ctx, c.ID, after(2*time.Hour)))

	got := e.connection(c.ID)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(revokedAt) {
		t.Errorf("got connection RevokedAt %v, want %v", got.RevokedAt, revokedAt)
	}
	if got.Active() {
		t.Error("got Active() true, want false")
	}
	for _, hash := range [][]byte{rt.Hash, next.Hash} {
		if got := e.refreshToken(hash); got.RevokedAt == nil || !got.RevokedAt.Equal(revokedAt) {
			t.Errorf("got refresh token RevokedAt %v, want %v", got.RevokedAt, revokedAt)
		}
	}
	tests := []struct {
		name string
		id   string
		want time.Time
	}{
		{"token revoked before", at.ID, after(2 * time.Minute)},
		{"live token", nextAT.ID, revokedAt},
	}
	for _, tc := range tests {
		got := e.accessToken(tc.id)
		if got.RevokedAt == nil || !got.RevokedAt.Equal(tc.want) {
			t.Errorf("%s: got RevokedAt %v, want %v", tc.name, got.RevokedAt, tc.want)
		}
	}

	// Another connection of the same client is untouched.
	if got := e.refreshToken(bystander.Hash); got.RevokedAt != nil {
		t.Errorf("got other connection's refresh token RevokedAt %v, want nil", got.RevokedAt)
	}
	if got := e.accessToken(bystanderAT.ID); got.RevokedAt != nil {
		t.Errorf("got other connection's access token RevokedAt %v, want nil", got.RevokedAt)
	}

	wantErr(t, s.RevokeConnection(e.ctx, "no-such-connection", t0), consentry.ErrNotFound)
}
