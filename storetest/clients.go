package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/consentry/consentry"
)

func testClientRoundTrip(t *testing.T, s consentry.Store) {
	ctx := context.Background()
	for _, id := range []string{"1000", "2000"} {
		must(t, s.CreateProvider(ctx, sampleProvider(id)))
	}
	confidential := sampleClient("confidential", "2000", "1000")
	public := consentry.Client{
		ID:           "public",
		Name:         "Public app",
		AuthMethods:  []string{consentry.AuthMethodNone},
		RedirectURIs: []string{"http://localhost:9000/cb"},
		GrantTypes:   []string{consentry.GrantAuthorizationCode},
		Scopes:       []string{consentry.ScopeAccountBasic},
		CreatedAt:    t0,
	}
	for _, want := range []consentry.Client{confidential, public} {
		t.Run(want.ID, func(t *testing.T) {
			must(t, s.CreateClient(ctx, want))
			got, err := s.GetClient(ctx, want.ID)
			must(t, err)
			equal(t, "client", got, want)
			if got.Public() != want.Public() {
				t.Errorf("got Public() %v, want %v", got.Public(), want.Public())
			}
		})
	}

	t.Run("repeated provider", func(t *testing.T) {
		c := sampleClient("repeated", "1000", "2000", "1000")
		must(t, s.CreateClient(ctx, c))
		got, err := s.GetClient(ctx, c.ID)
		must(t, err)
		equal(t, "providers", got.Providers, []string{"1000", "2000"})
	})
}

func testClientErrors(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	tests := []struct {
		name   string
		client consentry.Client
		want   error
	}{
		{"duplicate id", sampleClient(e.client.ID), consentry.ErrConflict},
		{"unknown provider", sampleClient("client-b", "1000", "9999"), consentry.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, s.CreateClient(e.ctx, tc.client), tc.want)
		})
	}

	// A failed creation stores nothing.
	wantNotFound(t)(s.GetClient(e.ctx, "client-b"))
	got, err := s.GetClient(e.ctx, e.client.ID)
	must(t, err)
	equal(t, "first client", got, e.client)
	wantNotFound(t)(s.GetClient(e.ctx, "no-such-client"))
}

func testListClients(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	e.createProvider("2000")
	b := e.createClient("client-c", "2000", "1000")
	noProviders := e.createClient("client-b")
	got, err := s.ListClients(e.ctx)
	must(t, err)
	equal(t, "clients", got, []consentry.Client{e.client, noProviders, b})
}

func testUpdateClientSecret(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	newHash := digest("rotated secret")
	must(t, s.UpdateClientSecret(e.ctx, e.client.ID, newHash))
	got, err := s.GetClient(e.ctx, e.client.ID)
	must(t, err)
	want := e.client
	want.SecretHash = newHash
	equal(t, "client", got, want)

	wantErr(t, s.UpdateClientSecret(e.ctx, "no-such-client", newHash), consentry.ErrNotFound)
}

func testDeleteClient(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	other := e.createClient("client-b", e.provider.ID)

	// Everything the deleted client owns.
	conn, code := e.connect(e.client.ID, "alice", t0)
	rt, at := e.issue(conn, t0)
	pending := e.createRequest(e.client.ID, consentry.StageSignIn, "")
	clientToken := consentry.AccessToken{ID: "cc-jti", ClientID: e.client.ID,
		Subject: e.client.ID, IssuedAt: t0, ExpiresAt: after(5 * time.Minute)}
	must(t, s.CreateAccessToken(e.ctx, clientToken))

	// What the other client owns must survive.
	otherConn, otherCode := e.connect(other.ID, "alice", t0)
	otherRT, otherAT := e.issue(otherConn, t0)

	must(t, s.DeleteClient(e.ctx, e.client.ID))

	wantNotFound(t)(s.GetClient(e.ctx, e.client.ID))
	wantNotFound(t)(s.GetConnection(e.ctx, conn.ID))
	wantNotFound(t)(s.RedeemCode(e.ctx, code.Hash, t0))
	_, _, err := s.GetRefreshToken(e.ctx, rt.Hash)
	wantErr(t, err, consentry.ErrNotFound)
	wantNotFound(t)(s.GetAccessToken(e.ctx, at.ID))
	wantNotFound(t)(s.GetAccessToken(e.ctx, clientToken.ID))
	wantNotFound(t)(s.GetAuthRequest(e.ctx, pending.ID))

	e.connection(otherConn.ID)
	e.refreshToken(otherRT.Hash)
	e.accessToken(otherAT.ID)
	_, err = s.RedeemCode(e.ctx, otherCode.Hash, t0)
	must(t, err)
	clients, err := s.ListClients(e.ctx)
	must(t, err)
	equal(t, "remaining clients", clients, []consentry.Client{other})

	wantErr(t, s.DeleteClient(e.ctx, e.client.ID), consentry.ErrNotFound)
}

func testProviders(t *testing.T, s consentry.Store) {
	ctx := context.Background()
	upstream := consentry.Provider{
		ID:        "2000",
		Name:      "Maple Bank",
		Country:   "US",
		Kind:      consentry.ProviderOAuth2,
		Scopes:    []string{consentry.ScopeAccountBasic},
		Disabled:  true,
		Upstream:  []byte(`{"issuer":"https://auth.maplebank.example"}`),
		CreatedAt: after(time.Hour),
	}
	sandbox := sampleProvider("1000")
	for _, p := range []consentry.Provider{upstream, sandbox} {
		must(t, s.CreateProvider(ctx, p))
		got, err := s.GetProvider(ctx, p.ID)
		must(t, err)
		equal(t, "provider "+p.ID, got, p)
	}

	list, err := s.ListProviders(ctx)
	must(t, err)
	equal(t, "providers", list, []consentry.Provider{sandbox, upstream})

	wantErr(t, s.CreateProvider(ctx, sampleProvider("1000")), consentry.ErrConflict)
	wantNotFound(t)(s.GetProvider(ctx, "9999"))
}

func testSandboxUsers(t *testing.T, s consentry.Store) {
	e := newEnv(t, s)
	e.createProvider("2000")
	alice := consentry.SandboxUser{ProviderID: "1000", Username: "alice",
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", CreatedAt: t0}
	must(t, s.CreateSandboxUser(e.ctx, alice))
	got, err := s.GetSandboxUser(e.ctx, "1000", "alice")
	must(t, err)
	equal(t, "user", got, alice)

	sameNameElsewhere := alice
	sameNameElsewhere.ProviderID = "2000"
	tests := []struct {
		name string
		user consentry.SandboxUser
		want error
	}{
		{"same name at another provider", sameNameElsewhere, nil},
		{"duplicate name", alice, consentry.ErrConflict},
		{"unknown provider", consentry.SandboxUser{ProviderID: "9999", Username: "bob",
			PasswordHash: "x", CreatedAt: t0}, consentry.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, s.CreateSandboxUser(e.ctx, tc.user), tc.want)
		})
	}

	wantNotFound(t)(s.GetSandboxUser(e.ctx, "1000", "bob"))
	wantNotFound(t)(s.GetSandboxUser(e.ctx, "9999", "alice"))
}
