package tokens_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

// memoryStore keeps signing keys in memory. The embedded nil Store makes any
// other method panic, so a test that reaches code it did not plan for fails.
type memoryStore struct {
	consentry.Store

	mu    sync.Mutex
	keys  []consentry.SigningKey
	lists int // calls of ListSigningKeys
}

func (s *memoryStore) CreateFirstSigningKey(_ context.Context, k consentry.SigningKey) (
	bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, existing := range s.keys {
		if existing.RevokedAt == nil {
			return false, nil
		}
	}
	s.keys = append(s.keys, k)
	return true, nil
}

func (s *memoryStore) CreateSigningKey(_ context.Context, k consentry.SigningKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
	return nil
}

func (s *memoryStore) ListSigningKeys(context.Context) ([]consentry.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	out := make([]consentry.SigningKey, len(s.keys))
	for i, k := range s.keys {
		k.PrivateKey = slices.Clone(k.PrivateKey)
		k.PublicKey = slices.Clone(k.PublicKey)
		out[i] = k
	}
	return out, nil
}

func (s *memoryStore) RetireSigningKey(_ context.Context, id string, now time.Time) error {
	return s.update(id, func(k *consentry.SigningKey) {
		if k.RetiredAt == nil {
			k.RetiredAt = &now
		}
	})
}

func (s *memoryStore) RevokeSigningKey(_ context.Context, id string, now time.Time) error {
	return s.update(id, func(k *consentry.SigningKey) {
		if k.RevokedAt == nil {
			k.RevokedAt = &now
		}
	})
}

func (s *memoryStore) update(id string, change func(*consentry.SigningKey)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.keys {
		if s.keys[i].ID == id {
			change(&s.keys[i])
			return nil
		}
	}
	return consentry.ErrNotFound
}

func (s *memoryStore) listCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists
}

func (s *memoryStore) storedKeys() []consentry.SigningKey {
	keys, _ := s.ListSigningKeys(context.Background())
	s.mu.Lock()
	s.lists--
	s.mu.Unlock()
	return keys
}

// fakeClock is a clock that moves only when a test advances it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var testKEK = []byte("0123456789abcdef0123456789abcdef")

// newManager returns an initialised KeyManager over store with the clock.
func newManager(t *testing.T, store *memoryStore, clock *fakeClock,
	opts tokens.KeyOptions) *tokens.KeyManager {
	t.Helper()
	opts.Now = clock.Now
	m := tokens.NewKeyManager(store, testKEK, opts)
	if err := m.Init(context.Background()); err != nil {
		t.Fatalf("Init: %v", err)
	}
	return m
}

// storedPrivateKey decrypts the stored key with the id, so that tests can
// sign tokens that the KeyManager would never produce.
func storedPrivateKey(t *testing.T, store *memoryStore, id string) *ecdsa.PrivateKey {
	t.Helper()
	for _, k := range store.storedKeys() {
		if k.ID != id {
			continue
		}
		der, err := tokens.Open(testKEK, k.PrivateKey, []byte(k.ID))
		if err != nil {
			t.Fatalf("open stored key %q: %v", id, err)
		}
		private, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			t.Fatalf("parse stored key %q: %v", id, err)
		}
		return private.(*ecdsa.PrivateKey)
	}
	t.Fatalf("no stored key %q", id)
	return nil
}

// onlyKey returns the single stored key, failing the test if there are more.
func onlyKey(t *testing.T, store *memoryStore) consentry.SigningKey {
	t.Helper()
	keys := store.storedKeys()
	if len(keys) != 1 {
		t.Fatalf("got %d stored keys, want 1", len(keys))
	}
	return keys[0]
}
