package e2e_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/consentry/consentry/tokens"
)

// TestKeyRotationPublishesFirst rotates the signing key and checks that the
// new key is in the JWKS before it signs, that it takes over after the lead
// time, and that the old key stays published while its tokens live.
func TestKeyRotationPublishesFirst(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	oldKID := tokenKeyID(t, e.clientToken())

	key, err := e.srv.Keys().Rotate(ctx)
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	published := jwksKeyIDs(e.bearer(http.MethodGet, "/.well-known/jwks.json", "").body)
	if !slices.Contains(published, key.ID) || !slices.Contains(published, oldKID) {
		t.Fatalf("after rotation: got JWKS %v, want both %s and %s", published, oldKID, key.ID)
	}
	if got := tokenKeyID(t, e.clientToken()); got != oldKID {
		t.Errorf("right after rotation: token signed by %s, want the old key %s", got, oldKID)
	}
	if tokens.RotationLead < 300*time.Second {
		t.Errorf("rotation lead %v is shorter than the JWKS cache lifetime of 300 s", tokens.RotationLead)
	}

	e.clock.Advance(tokens.RotationLead + time.Second)
	newToken := e.clientToken()
	if got := tokenKeyID(t, newToken); got != key.ID {
		t.Errorf("after the lead: token signed by %s, want the new key %s", got, key.ID)
	}
	published = jwksKeyIDs(e.bearer(http.MethodGet, "/.well-known/jwks.json", "").body)
	if !slices.Contains(published, oldKID) {
		t.Errorf("old key left the JWKS while its tokens live: %v", published)
	}

	e.clock.Advance(time.Hour)
	published = jwksKeyIDs(e.bearer(http.MethodGet, "/.well-known/jwks.json", "").body)
	if slices.Contains(published, oldKID) {
		t.Errorf("old key still published an hour after its last token: %v", published)
	}
}

// providersStatus returns the status of GET /api/v1/providers with token.
func (e *env) providersStatus(token string) int {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.issuer+"/api/v1/providers", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("GET /api/v1/providers: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestKeyRevocationRejectsTokens revokes the signing key of live tokens:
// Consentry's endpoints reject them and a replacement key signs at once.
func TestKeyRevocationRejectsTokens(t *testing.T) {
	e := newEnv(t)
	admin := e.clientToken()
	kid := tokenKeyID(t, admin)
	if got := e.providersStatus(admin); got != http.StatusOK {
		t.Fatalf("providers before revocation: got status %d, want 200", got)
	}

	replacement, err := e.srv.Keys().Revoke(context.Background(), kid)
	if err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if replacement == nil {
		t.Fatal("revoking the only key created no replacement")
	}
	r := e.bearer(http.MethodGet, "/api/v1/providers", admin)
	wantError(t, r, http.StatusUnauthorized, "invalid_token")
	if published := jwksKeyIDs(e.bearer(http.MethodGet, "/.well-known/jwks.json", "").body); slices.Contains(published, kid) {
		t.Errorf("revoked key still published: %v", published)
	}
	fresh := e.clientToken()
	if got := tokenKeyID(t, fresh); got != replacement.ID {
		t.Errorf("new token signed by %s, want the replacement %s", got, replacement.ID)
	}
	if got := e.providersStatus(fresh); got != http.StatusOK {
		t.Errorf("providers with the replacement key's token: got status %d, want 200", got)
	}
}

// TestKeyRevocationSeenByOtherReplica revokes a key through a second server
// on the same store: the first server rejects the key's tokens on its next
// request, although its own key cache still holds the key.
func TestKeyRevocationSeenByOtherReplica(t *testing.T) {
	a := newEnv(t)
	b := newEnvWithStore(t, a.store)
	admin := a.clientToken()
	if got := a.providersStatus(admin); got != http.StatusOK {
		t.Fatalf("providers before revocation: got status %d, want 200", got)
	}
	if _, err := b.srv.Keys().Revoke(context.Background(), tokenKeyID(t, admin)); err != nil {
		t.Fatalf("revoke on the other replica: %v", err)
	}
	if got := a.providersStatus(admin); got != http.StatusUnauthorized {
		t.Errorf("providers after revocation elsewhere: got status %d, want 401", got)
	}
}
