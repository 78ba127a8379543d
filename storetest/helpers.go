package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/consentry/consentry"
)

// t0 is the suite's clock: every time the suite stores is t0 plus an offset.
var t0 = time.Date(2026, 1, 2, 9, 30, 0, 0, time.UTC)

// env is one store with a provider and a client registered with it, and a
// counter that keeps the ids and digests of a test unique.
type env struct {
	t        *testing.T
	ctx      context.Context
	store    consentry.Store
	provider consentry.Provider
	client   consentry.Client
	seq      int
}

func newEnv(t *testing.T, s consentry.Store) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), store: s}
	e.provider = e.createProvider("1000")
	e.client = e.createClient("client-a", e.provider.ID)
	return e
}

// id returns a new id that starts with prefix.
func (e *env) id(prefix string) string {
	e.seq++
	return fmt.Sprintf("%s-%03d", prefix, e.seq)
}

// digest returns the SHA-256 digest of s, as the server stores secrets.
func digest(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func after(offset time.Duration) time.Time {
	return t0.Add(offset)
}

func timePtr(t time.Time) *time.Time {
	return &t
}

func sampleProvider(id string) consentry.Provider {
	return consentry.Provider{
		ID:        id,
		Name:      "Bank " + id,
		Country:   "CA",
		Kind:      consentry.ProviderSandbox,
		Scopes:    []string{consentry.ScopeAccountBasic, consentry.ScopeTransactions},
		CreatedAt: t0,
	}
}

func sampleClient(id string, providers ...string) consentry.Client {
	grace := 3 * time.Second
	return consentry.Client{
		ID:           id,
		Name:         "Client " + id,
		SecretHash:   digest("secret of " + id),
		AuthMethods:  []string{consentry.AuthMethodBasic, consentry.AuthMethodPost},
		RedirectURIs: []string{"https://app.example/callback", "http://127.0.0.1:8081/cb"},
		GrantTypes: []string{consentry.GrantAuthorizationCode, consentry.GrantRefreshToken,
			consentry.GrantClientCredentials},
		Scopes:       []string{consentry.ScopeAccountBasic, consentry.ScopeClientAdmin},
		Providers:    providers,
		RequirePKCE:  true,
		RefreshGrace: &grace,
		CreatedAt:    t0,
	}
}

func (e *env) createProvider(id string) consentry.Provider {
	e.t.Helper()
	p := sampleProvider(id)
	must(e.t, e.store.CreateProvider(e.ctx, p))
	return p
}

func (e *env) createClient(id string, providers ...string) consentry.Client {
	e.t.Helper()
	c := sampleClient(id, providers...)
	must(e.t, e.store.CreateClient(e.ctx, c))
	return c
}

// request returns a pending request of the client at the env's provider,
// bound to a session of its own, expiring 15 minutes after t0. It is not
// stored.
func (e *env) request(clientID string, stage consentry.AuthStage,
	userID string) consentry.AuthRequest {
	id := e.id("request")
	return consentry.AuthRequest{
		ID:                  id,
		SessionHash:         digest("session of " + id),
		ClientID:            clientID,
		RedirectURI:         "https://app.example/callback",
		State:               "state-" + id,
		Scopes:              []string{consentry.ScopeAccountBasic, consentry.ScopeTransactions},
		ProviderID:          e.provider.ID,
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		CorrelationID:       "corr-" + id,
		Locale:              "fr",
		Stage:               stage,
		UserID:              userID,
		CreatedAt:           t0,
		ExpiresAt:           after(15 * time.Minute),
	}
}

// createRequest stores a request made by request.
func (e *env) createRequest(clientID string, stage consentry.AuthStage,
	userID string) consentry.AuthRequest {
	e.t.Helper()
	r := e.request(clientID, stage, userID)
	must(e.t, e.store.CreateAuthRequest(e.ctx, r))
	return r
}

// approval returns the approval of request r by its user at now, with a new
// connection id, grant id and code.
func (e *env) approval(r consentry.AuthRequest, scopes []string, now time.Time) consentry.Approval {
	grant := e.id("grant")
	code := e.id("code")
	return consentry.Approval{
		AuthRequestID: r.ID,
		SessionHash:   r.SessionHash,
		Now:           now,
		Connection: consentry.Connection{
			ID:         e.id("conn"),
			ClientID:   r.ClientID,
			ProviderID: r.ProviderID,
			UserID:     r.UserID,
			Subject:    "sub-" + r.ClientID + "-" + r.UserID,
			Scopes:     scopes,
			GrantID:    grant,
			CreatedAt:  now,
			UpdatedAt:  now,
		},
		Code: consentry.AuthCode{
			Hash:                digest(code),
			ClientID:            r.ClientID,
			RedirectURI:         r.RedirectURI,
			GrantID:             grant,
			Scopes:              scopes,
			CodeChallenge:       r.CodeChallenge,
			CodeChallengeMethod: r.CodeChallengeMethod,
			CorrelationID:       r.CorrelationID,
			CreatedAt:           now,
			ExpiresAt:           now.Add(time.Minute),
		},
	}
}

// connect signs userID in for the client, approves at now and returns the
// stored connection and the code with its connection id.
func (e *env) connect(clientID, userID string, now time.Time, scopes ...string) (
	consentry.Connection, consentry.AuthCode) {
	e.t.Helper()
	if len(scopes) == 0 {
		scopes = []string{consentry.ScopeAccountBasic}
	}
	r := e.createRequest(clientID, consentry.StageConsent, userID)
	a := e.approval(r, scopes, now)
	c, err := e.store.ApproveAuthRequest(e.ctx, a)
	must(e.t, err)
	code := a.Code
	code.ConnectionID = c.ID
	return c, code
}

// pair returns a refresh token and the access token issued with it for the
// connection's current grant at now, child of parent. They are not stored.
func (e *env) pair(c consentry.Connection, parent []byte, now time.Time) (
	consentry.RefreshToken, consentry.AccessToken) {
	jti := e.id("jti")
	at := consentry.AccessToken{
		ID:           jti,
		ClientID:     c.ClientID,
		ConnectionID: c.ID,
		Subject:      c.Subject,
		Scopes:       c.Scopes,
		IssuedAt:     now,
		ExpiresAt:    now.Add(5 * time.Minute),
	}
	rt := consentry.RefreshToken{
		Hash:          digest(e.id("refresh")),
		ConnectionID:  c.ID,
		ClientID:      c.ClientID,
		GrantID:       c.GrantID,
		Scopes:        c.Scopes,
		ParentHash:    parent,
		AccessTokenID: jti,
		CreatedAt:     now,
		ExpiresAt:     now.Add(30 * 24 * time.Hour),
	}
	return rt, at
}

// issue stores the first token pair of the connection's grant at now.
func (e *env) issue(c consentry.Connection, now time.Time) (
	consentry.RefreshToken, consentry.AccessToken) {
	e.t.Helper()
	rt, at := e.pair(c, nil, now)
	must(e.t, e.store.IssueCodeTokens(e.ctx, rt, at))
	return rt, at
}

// live returns a new connection of the env's client for userID with its first
// token pair, issued at t0.
func (e *env) live(userID string) (consentry.Connection, consentry.RefreshToken,
	consentry.AccessToken) {
	e.t.Helper()
	c, _ := e.connect(e.client.ID, userID, t0)
	rt, at := e.issue(c, t0)
	return c, rt, at
}

// refreshToken returns the stored refresh token with the hash.
func (e *env) refreshToken(hash []byte) consentry.RefreshToken {
	e.t.Helper()
	rt, _, err := e.store.GetRefreshToken(e.ctx, hash)
	must(e.t, err)
	return rt
}

func (e *env) accessToken(id string) consentry.AccessToken {
	e.t.Helper()
	at, err := e.store.GetAccessToken(e.ctx, id)
	must(e.t, err)
	return at
}

func (e *env) connection(id string) consentry.Connection {
	e.t.Helper()
	c, err := e.store.GetConnection(e.ctx, id)
	must(e.t, err)
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
}

// wantErr checks that err is target, wrapped with context, and that its
// message contains no SQL. A nil target wants a nil err.
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if target == nil {
		if err != nil {
			t.Errorf("got error %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, target) {
		t.Errorf("got error %v, want %v", err, target)
		return
	}
	if err == target {
		t.Errorf("got bare %v, want it wrapped with the operation", err)
	}
	for _, keyword := range []string{"SELECT ", "INSERT ", "UPDATE ", "DELETE "} {
		if strings.Contains(err.Error(), keyword) {
			t.Errorf("error %q contains SQL text", err)
		}
	}
}

// wantNotFound returns a check that a lookup returned consentry.ErrNotFound,
// to be called with the lookup's results: wantNotFound(t)(s.GetClient(ctx, id)).
func wantNotFound(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		wantErr(t, err, consentry.ErrNotFound)
	}
}

// equal reports a difference between got and want, treating nil and empty
// slices alike and comparing times with time.Time.Equal.
func equal(t *testing.T, name string, got, want any) {
	t.Helper()
	if d := cmp.Diff(got, want, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("%s mismatch (-got +want):\n%s", name, d)
	}
}
