package tokens_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consentry/consentry/tokens"
)

func TestInitConcurrentReplicasCreateOneKey(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	managers := make([]*tokens.KeyManager, 8)
	errs := make([]error, len(managers))
	var wg sync.WaitGroup
	for i := range managers {
		managers[i] = tokens.NewKeyManager(store, testKEK, tokens.KeyOptions{Now: clock.Now})
		wg.Go(func() { errs[i] = managers[i].Init(context.Background()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Init of replica %d: %v", i, err)
		}
	}
	key := onlyKey(t, store)
	if key.Algorithm != "ES256" {
		t.Errorf("got algorithm %q, want ES256", key.Algorithm)
	}
	if !key.ActivatesAt.Equal(clock.Now()) {
		t.Errorf("got ActivatesAt %v, want %v (the first key signs at once)",
			key.ActivatesAt, clock.Now())
	}

	// Every replica signs with the one key and accepts the others' tokens.
	token := signTestToken(t, managers[3], clock)
	for i, m := range managers {
		if _, err := m.Verify(context.Background(), token, testIssuer, testAudience); err != nil {
			t.Errorf("replica %d: Verify: %v", i, err)
		}
	}
}

func TestInitKeepsExistingKey(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	newManager(t, store, clock, tokens.KeyOptions{})
	first := onlyKey(t, store)
	newManager(t, store, clock, tokens.KeyOptions{})
	if second := onlyKey(t, store); second.ID != first.ID {
		t.Errorf("got key %q after the second Init, want %q", second.ID, first.ID)
	}
}

func TestInitReplacesRevokedKey(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	newManager(t, store, clock, tokens.KeyOptions{})
	first := onlyKey(t, store)
	if err := store.RevokeSigningKey(context.Background(), first.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, store, clock, tokens.KeyOptions{})
	if got := len(store.storedKeys()); got != 2 {
		t.Fatalf("got %d stored keys, want 2", got)
	}
	if kid := tokenKeyID(t, signTestToken(t, m, clock)); kid == first.ID {
		t.Errorf("got kid %q of the revoked key, want the new key", kid)
	}
}

func TestInitWrongKeyEncryptionKey(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	newManager(t, store, clock, tokens.KeyOptions{})

	m := tokens.NewKeyManager(store, tokens.DevKeyEncryptionKey, tokens.KeyOptions{Now: clock.Now})
	err := m.Init(context.Background())
	if !errors.Is(err, tokens.ErrDecryptionFailed) {
		t.Fatalf("got error %v, want ErrDecryptionFailed", err)
	}
	if !strings.Contains(err.Error(), "CONSENTRY_KEY") {
		t.Errorf("error %q does not name the setting to check", err)
	}
}

func TestInitRejectsSwappedCiphertexts(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{})
	if _, err := m.Rotate(context.Background()); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	store.mu.Lock()
	store.keys[0].PrivateKey, store.keys[1].PrivateKey = store.keys[1].PrivateKey,
		store.keys[0].PrivateKey
	store.mu.Unlock()

	err := tokens.NewKeyManager(store, testKEK, tokens.KeyOptions{Now: clock.Now}).
		Init(context.Background())
	if !errors.Is(err, tokens.ErrDecryptionFailed) {
		t.Errorf("got error %v, want ErrDecryptionFailed", err)
	}
}

func TestInitRejectsForeignPublicKey(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{})
	if _, err := m.Rotate(context.Background()); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	store.mu.Lock()
	store.keys[0].PublicKey = store.keys[1].PublicKey
	store.mu.Unlock()

	err := tokens.NewKeyManager(store, testKEK, tokens.KeyOptions{Now: clock.Now}).
		Init(context.Background())
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("got error %v, want a public key mismatch", err)
	}
}

type jwk struct {
	Kty, Crv, X, Y, Kid, Alg, Use, D string
}

func readJWKS(t *testing.T, m *tokens.KeyManager) []jwk {
	t.Helper()
	body, err := m.JWKS(context.Background())
	if err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	var set struct{ Keys []jwk }
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatalf("decode JWKS %s: %v", body, err)
	}
	if !bytes.HasPrefix(body, []byte(`{"keys":[`)) {
		t.Errorf("got JWKS %s, want an object with a keys array", body)
	}
	return set.Keys
}

func jwksIDs(t *testing.T, m *tokens.KeyManager) []string {
	t.Helper()
	var ids []string
	for _, k := range readJWKS(t, m) {
		ids = append(ids, k.Kid)
	}
	return ids
}

func TestJWKSPublicKey(t *testing.T) {
	store := &memoryStore{}
	m := newManager(t, store, newFakeClock(), tokens.KeyOptions{})
	keys := readJWKS(t, m)
	if len(keys) != 1 {
		t.Fatalf("got %d keys, want 1", len(keys))
	}
	got := keys[0]
	checks := []struct{ field, got, want string }{
		{"kty", got.Kty, "EC"},
		{"crv", got.Crv, "P-256"},
		{"kid", got.Kid, onlyKey(t, store).ID},
		{"alg", got.Alg, "ES256"},
		{"use", got.Use, "sig"},
		{"d", got.D, ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.field, c.got, c.want)
		}
	}
	if len(got.X) != 43 || len(got.Y) != 43 {
		t.Errorf("got x %q and y %q, want 32-byte coordinates", got.X, got.Y)
	}
}

func TestRotateSchedule(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	publishFor := 360 * time.Second
	m := newManager(t, store, clock, tokens.KeyOptions{PublishFor: publishFor})
	oldID := onlyKey(t, store).ID

	newKey, err := m.Rotate(context.Background())
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if lead := newKey.ActivatesAt.Sub(clock.Now()); lead < 300*time.Second {
		t.Errorf("got activation %v after rotation, want at least 300s", lead)
	}
	steps := []struct {
		name      string
		advance   time.Duration
		signingID string
		published []string
	}{
		{"just rotated", 0, oldID, []string{oldID, newKey.ID}},
		{"before activation", tokens.RotationLead - time.Second, oldID, []string{oldID, newKey.ID}},
		{"activated", time.Second, newKey.ID, []string{oldID, newKey.ID}},
		{"old key still published", publishFor - time.Second, newKey.ID, []string{oldID, newKey.ID}},
		{"old key withdrawn", time.Second, newKey.ID, []string{newKey.ID}},
	}
	for _, step := range steps {
		clock.Advance(step.advance)
		if got := tokenKeyID(t, signTestToken(t, m, clock)); got != step.signingID {
			t.Errorf("%s: got signing kid %q, want %q", step.name, got, step.signingID)
		}
		if got := jwksIDs(t, m); !slices.Equal(got, step.published) {
			t.Errorf("%s: got JWKS kids %q, want %q", step.name, got, step.published)
		}
	}
}

func TestSupersededKeyStillVerifies(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{})
	oldID := onlyKey(t, store).ID
	newKey, err := m.Rotate(context.Background())
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	clock.Advance(tokens.RotationLead - 10*time.Second)
	oldToken := signTestToken(t, m, clock)
	clock.Advance(20 * time.Second)

	if got := tokenKeyID(t, oldToken); got != oldID {
		t.Fatalf("got kid %q before activation, want %q", got, oldID)
	}
	if got := tokenKeyID(t, signTestToken(t, m, clock)); got != newKey.ID {
		t.Errorf("got kid %q after activation, want %q", got, newKey.ID)
	}
	if _, err := m.Verify(context.Background(), oldToken, testIssuer, testAudience); err != nil {
		t.Errorf("Verify of a token signed by the superseded key: %v", err)
	}
}

func TestRetiredKeyStopsSigning(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{CacheTTL: -1})
	first := onlyKey(t, store)
	if err := store.RetireSigningKey(context.Background(), first.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := m.Sign(context.Background(), testClaims(clock))
	if err == nil || !strings.Contains(err.Error(), "no active signing key") {
		t.Errorf("got error %v, want no active signing key", err)
	}
	if got := jwksIDs(t, m); !slices.Equal(got, []string{first.ID}) {
		t.Errorf("got JWKS kids %q right after retirement, want %q", got, first.ID)
	}
	clock.Advance(tokens.DefaultPublishFor)
	if got := jwksIDs(t, m); len(got) != 0 {
		t.Errorf("got JWKS kids %q after the publication period, want none", got)
	}
}

func TestRevokedKeyLeavesJWKS(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{CacheTTL: -1})
	newKey, err := m.Rotate(context.Background())
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if err := store.RevokeSigningKey(context.Background(), newKey.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	got := jwksIDs(t, m)
	if slices.Contains(got, newKey.ID) {
		t.Errorf("got JWKS kids %q, want the revoked key %q left out", got, newKey.ID)
	}
	if len(got) != 1 {
		t.Errorf("got %d keys, want the first key only", len(got))
	}
}

func TestKeyListCacheDefault(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{})
	before := store.listCalls()
	for range 10 {
		signTestToken(t, m, clock)
	}
	if got := store.listCalls() - before; got != 0 {
		t.Errorf("got %d store reads within the cache lifetime, want 0", got)
	}
	clock.Advance(5 * time.Second)
	signTestToken(t, m, clock)
	if got := store.listCalls() - before; got != 1 {
		t.Errorf("got %d store reads after the cache lifetime, want 1", got)
	}
}

func TestKeyListNegativeCacheTTL(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{CacheTTL: -1})
	before := store.listCalls()
	for range 3 {
		signTestToken(t, m, clock)
	}
	if got := store.listCalls() - before; got != 3 {
		t.Errorf("got %d store reads for 3 signatures, want 3", got)
	}
}
