package tokens_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

var wrongKEK = []byte("fedcba9876543210fedcba9876543210")

// TestRevokeWrongKeyEncryptionKey revokes with a key-encryption key that
// opens no stored key: nothing may change, or the replacement would be
// sealed under a key that no server can open.
func TestRevokeWrongKeyEncryptionKey(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	newManager(t, store, clock, tokens.KeyOptions{})
	kid := onlyKey(t, store).ID

	wrong := tokens.NewKeyManager(store, wrongKEK, tokens.KeyOptions{Now: clock.Now})
	replacement, err := wrong.Revoke(context.Background(), kid)
	if !errors.Is(err, tokens.ErrDecryptionFailed) {
		t.Errorf("got error %v, want ErrDecryptionFailed", err)
	}
	if replacement != nil {
		t.Errorf("got replacement %s, want none", replacement.ID)
	}
	if key := onlyKey(t, store); key.RevokedAt != nil {
		t.Errorf("key %s was revoked by a call that failed", key.ID)
	}
}

// TestRevokeUnknownKeyWrongKeyEncryptionKey checks that an unknown kid is
// reported as not found whatever the key-encryption key.
func TestRevokeUnknownKeyWrongKeyEncryptionKey(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	newManager(t, store, clock, tokens.KeyOptions{})
	wrong := tokens.NewKeyManager(store, wrongKEK, tokens.KeyOptions{Now: clock.Now})
	if _, err := wrong.Revoke(context.Background(), "no-such-kid"); !errors.Is(err, consentry.ErrNotFound) {
		t.Errorf("got error %v, want ErrNotFound", err)
	}
}

// TestRevokeKeySealedElsewhere revokes a key that the key-encryption key
// cannot open, next to one it can: the way out after a key was stored under
// another key-encryption key.
func TestRevokeKeySealedElsewhere(t *testing.T) {
	store := &memoryStore{}
	clock := newFakeClock()
	m := newManager(t, store, clock, tokens.KeyOptions{})
	first := onlyKey(t, store).ID
	rogue := sealedElsewhere(t, store, clock)

	if _, err := m.Revoke(context.Background(), rogue); err != nil {
		t.Fatalf("revoke the key sealed elsewhere: %v", err)
	}
	if got := tokenKeyID(t, signTestToken(t, m, clock)); got != first {
		t.Errorf("got signing kid %q after the revocation, want %q", got, first)
	}
}

// sealedElsewhere stores a key sealed under wrongKEK, as `keys rotate` on an
// empty database with another key-encryption key would, and returns its id.
func sealedElsewhere(t *testing.T, store *memoryStore, clock *fakeClock) string {
	t.Helper()
	other := &memoryStore{}
	elsewhere := tokens.NewKeyManager(other, wrongKEK, tokens.KeyOptions{Now: clock.Now})
	if err := elsewhere.Init(context.Background()); err != nil {
		t.Fatalf("Init under another key-encryption key: %v", err)
	}
	key := onlyKey(t, other)
	if err := store.CreateSigningKey(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	return key.ID
}

// TestKeyFromClockAheadSigns starts a replica whose clock is behind the one
// that created the first key, or the replacement of a revoked key, by less
// than the allowed clock skew. Such a key is meant to sign at once, so the
// replica must sign with it rather than fail with no active key.
func TestKeyFromClockAheadSigns(t *testing.T) {
	tests := []struct {
		name   string
		create func(t *testing.T, store *memoryStore, ahead *fakeClock)
	}{
		{"first key", func(t *testing.T, store *memoryStore, ahead *fakeClock) {
			newManager(t, store, ahead, tokens.KeyOptions{})
		}},
		{"replacement of a revoked key", func(t *testing.T, store *memoryStore, ahead *fakeClock) {
			m := newManager(t, store, ahead, tokens.KeyOptions{})
			if _, err := m.Revoke(context.Background(), onlyKey(t, store).ID); err != nil {
				t.Fatalf("revoke: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &memoryStore{}
			behind := newFakeClock()
			ahead := newFakeClock()
			ahead.Advance(30 * time.Second)
			tt.create(t, store, ahead)

			m := newManager(t, store, behind, tokens.KeyOptions{})
			token, err := m.Sign(context.Background(), testClaims(behind))
			if err != nil {
				t.Fatalf("Sign on the replica whose clock is 30 s behind: %v", err)
			}
			if _, err := m.Verify(context.Background(), token, testIssuer, testAudience); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}
