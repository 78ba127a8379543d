package storetest

import (
	"testing"
	"time"

	"github.com/consentry/consentry"
)

func testRedeemCode(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	_, code := e.connect(e.client.ID, "alice", t0)

	first, err := s.RedeemCode(e.ctx, code.Hash, after(10*time.Second))
	must(t, err)
	want := code
	want.UsedAt = timePtr(after(10 * time.Second))
	equal(t, "first redemption", first, want)

	// A replay returns the code, with the time of the first use, so that the
	// caller can revoke what the code issued (RFC 6749 §4.1.2).
	second, err := s.RedeemCode(e.ctx, code.Hash, after(20*time.Second))
	wantErr(t, err, consentry.ErrConflict)
	equal(t, "second redemption", second, want)

	wantNotFound(t)(s.RedeemCode(e.ctx, digest("unknown code"), t0))
}

func testIssueCodeTokens(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	c, _ := e.connect(e.client.ID, "alice", t0)
	rt, at := e.issue(c, after(time.Second))

	gotRT, gotConn, err := s.GetRefreshToken(e.ctx, rt.Hash)
	must(t, err)
	equal(t, "refresh token", gotRT, rt)
	equal(t, "connection of refresh token", gotConn, c)
	equal(t, "access token", e.accessToken(at.ID), at)

	// A second issue for the same grant revokes the first refresh token, so
	// that the connection never has two live ones.
	rt2, _ := e.issue(c, after(2*time.Second))
	old := e.refreshToken(rt.Hash)
	if old.RevokedAt == nil || !old.RevokedAt.Equal(after(2*time.Second)) {
		t.Errorf("got first refresh token RevokedAt %v, want %v", old.RevokedAt,
			after(2*time.Second))
	}
	if got := e.refreshToken(rt2.Hash); got.RevokedAt != nil {
		t.Errorf("got new refresh token RevokedAt %v, want nil", got.RevokedAt)
	}
}

func testIssueCodeTokensRejected(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	tests := []struct {
		name string
		edit func(c consentry.Connection, rt *consentry.RefreshToken, at *consentry.AccessToken)
		want error
	}{
		{name: "revoked connection",
			edit: func(c consentry.Connection, _ *consentry.RefreshToken, _ *consentry.AccessToken) {
				must(t, s.RevokeConnection(e.ctx, c.ID, t0))
			},
			want: consentry.ErrConflict},
		{name: "other grant",
			edit: func(_ consentry.Connection, rt *consentry.RefreshToken, _ *consentry.AccessToken) {
				rt.GrantID = "grant-of-the-past"
			},
			want: consentry.ErrConflict},
		{name: "unknown connection",
			edit: func(_ consentry.Connection, rt *consentry.RefreshToken, at *consentry.AccessToken) {
				rt.ConnectionID = "no-such-connection"
				at.ConnectionID = "no-such-connection"
			},
			want: consentry.ErrNotFound},
		{name: "duplicate access token id",
			edit: func(c consentry.Connection, _ *consentry.RefreshToken, at *consentry.AccessToken) {
				_, first := e.issue(c, t0)
				at.ID = first.ID
			},
			want: consentry.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := e.connect(e.client.ID, e.id("user"), t0)
			rt, at := e.pair(c, nil, after(time.Second))
			tc.edit(c, &rt, &at)
			wantErr(t, s.IssueCodeTokens(e.ctx, rt, at), tc.want)
			_, _, err := s.GetRefreshToken(e.ctx, rt.Hash)
			wantErr(t, err, consentry.ErrNotFound)
		})
	}
}

func testAccessTokens(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	clientToken := consentry.AccessToken{
		ID:        "cc-jti",
		ClientID:  e.client.ID,
		Subject:   e.client.ID,
		Scopes:    []string{consentry.ScopeClientAdmin},
		IssuedAt:  t0,
		ExpiresAt: after(5 * time.Minute),
	}
	must(t, s.CreateAccessToken(e.ctx, clientToken))
	equal(t, "client-credentials token", e.accessToken(clientToken.ID), clientToken)
	wantErr(t, s.CreateAccessToken(e.ctx, clientToken), consentry.ErrConflict)
	wantNotFound(t)(s.GetAccessToken(e.ctx, "no-such-jti"))

	must(t, s.RevokeAccessToken(e.ctx, clientToken.ID, after(time.Minute)))
	must(t, s.RevokeAccessToken(e.ctx, clientToken.ID, after(2*time.Minute)))
	want := clientToken
	want.RevokedAt = timePtr(after(time.Minute))
	equal(t, "revoked token", e.accessToken(clientToken.ID), want)
	wantErr(t, s.RevokeAccessToken(e.ctx, "no-such-jti", t0), consentry.ErrNotFound)
}

func testAccessTokenOfRevokedConnection(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	c, _, at := e.live("alice")
	if got := e.accessToken(at.ID); got.RevokedAt != nil {
		t.Fatalf("got RevokedAt %v before revocation, want nil", got.RevokedAt)
	}

	// A token issued after revocation, as by a racing refresh, still
	// reports the connection's revocation.
	must(t, s.RevokeConnection(e.ctx, c.ID, after(time.Minute)))
	late := consentry.AccessToken{ID: "late-jti", ClientID: c.ClientID, ConnectionID: c.ID,
		Subject: c.Subject, IssuedAt: after(2 * time.Minute), ExpiresAt: after(7 * time.Minute)}
	must(t, s.CreateAccessToken(e.ctx, late))

	for _, id := range []string{at.ID, late.ID} {
		got := e.accessToken(id)
		if got.RevokedAt == nil || !got.RevokedAt.Equal(after(time.Minute)) {
			t.Errorf("got token %s RevokedAt %v, want %v", id, got.RevokedAt, after(time.Minute))
		}
	}
}

func testTimesKeepMilliseconds(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	precise := t0.Add(1234567891 * time.Nanosecond).In(time.FixedZone("UTC+2", 2*3600))
	token := consentry.AccessToken{ID: "precise", ClientID: e.client.ID, Subject: "s",
		IssuedAt: precise, ExpiresAt: precise}
	must(t, s.CreateAccessToken(e.ctx, token))
	got := e.accessToken(token.ID)
	want := t0.Add(1234 * time.Millisecond)
	if !got.IssuedAt.Equal(want) {
		t.Errorf("got IssuedAt %v, want %v", got.IssuedAt, want)
	}
}

func testAccessTokenOfRevokedKey(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	key := sampleKey("kid-revoked", t0)
	must(t, s.CreateSigningKey(e.ctx, key))
	token := consentry.AccessToken{ID: "key-jti", ClientID: e.client.ID, Subject: e.client.ID,
		Scopes: []string{consentry.ScopeClientAdmin}, KeyID: key.ID, IssuedAt: t0, ExpiresAt: after(5 * time.Minute)}
	must(t, s.CreateAccessToken(e.ctx, token))
	equal(t, "token with a key id", e.accessToken(token.ID), token)

	must(t, s.RevokeSigningKey(e.ctx, key.ID, after(time.Minute)))
	got := e.accessToken(token.ID)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(after(time.Minute)) {
		t.Errorf("got RevokedAt %v after its signing key was revoked, want %v", got.RevokedAt, after(time.Minute))
	}
}

func testAccessTokenWithRevokedKey(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	key := sampleKey("kid-gone", t0)
	must(t, s.CreateSigningKey(e.ctx, key))
	must(t, s.RevokeSigningKey(e.ctx, key.ID, t0))

	token := consentry.AccessToken{ID: "signed-by-gone", ClientID: e.client.ID, Subject: e.client.ID,
		Scopes: []string{consentry.ScopeClientAdmin}, KeyID: key.ID, IssuedAt: t0, ExpiresAt: after(5 * time.Minute)}
	wantErr(t, s.CreateAccessToken(e.ctx, token), consentry.ErrKeyRevoked)
	wantNotFound(t)(s.GetAccessToken(e.ctx, token.ID))

	// A rotation whose access token carries the revoked kid stores nothing,
	// so the old refresh token stays unused for the retry with a current key.
	c, rt, _ := e.live("bob")
	next := consentry.RefreshToken{Hash: []byte("next-of-bob"), ConnectionID: c.ID, ClientID: c.ClientID,
		GrantID: c.GrantID, Scopes: rt.Scopes, ParentHash: rt.Hash, AccessTokenID: "rotated-jti",
		CreatedAt: after(time.Minute), ExpiresAt: after(time.Hour)}
	rotated := token
	rotated.ID, rotated.ConnectionID, rotated.Subject = "rotated-jti", c.ID, c.Subject
	wantErr(t, s.RotateRefreshToken(e.ctx, rt.Hash, after(time.Minute), next, rotated), consentry.ErrKeyRevoked)
	got, _, err := s.GetRefreshToken(e.ctx, rt.Hash)
	must(t, err)
	if got.UsedAt != nil {
		t.Errorf("old refresh token marked used at %v by a rotation that stored nothing", got.UsedAt)
	}
}
