package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/consentry/consentry"
)

func testLoginFailures(t *testing.T, s consentry.Store) {
	ctx := context.Background()
	record := func(key string, at, since time.Time) int {
		t.Helper()
		n, err := s.RecordLoginFailure(ctx, key, at, since)
		must(t, err)
		return n
	}
	steps := []struct {
		name  string
		key   string
		at    time.Time
		since time.Time
		want  int
	}{
		{"first failure", "user:alice", t0, after(-15 * time.Minute), 1},
		{"second failure", "user:alice", after(time.Minute), after(-14 * time.Minute), 2},
		{"other key", "addr:192.0.2.1", after(time.Minute), after(-14 * time.Minute), 1},
		{"window moved past the first", "user:alice", after(20 * time.Minute),
			after(30 * time.Second), 2},
		{"window starts at a failure", "user:alice", after(21 * time.Minute),
			after(time.Minute), 3},
	}
	for _, step := range steps {
		if got := record(step.key, step.at, step.since); got != step.want {
			t.Errorf("%s: got %d failures, want %d", step.name, got, step.want)
		}
	}

	must(t, s.ClearLoginFailures(ctx, "user:alice"))
	if got := record("user:alice", after(time.Hour), t0); got != 1 {
		t.Errorf("after clearing: got %d failures, want 1", got)
	}
	if got := record("addr:192.0.2.1", after(time.Hour), t0); got != 2 {
		t.Errorf("other key after clearing: got %d failures, want 2", got)
	}
}

func testLoginLocks(t *testing.T, s consentry.Store) {
	ctx := context.Background()
	until, err := s.LoginLockedUntil(ctx, "user:alice")
	must(t, err)
	if !until.IsZero() {
		t.Errorf("got lock until %v for a key never locked, want the zero time", until)
	}

	for _, want := range []time.Time{after(15 * time.Minute), after(5 * time.Minute)} {
		must(t, s.LockLogin(ctx, "user:alice", want))
		got, err := s.LoginLockedUntil(ctx, "user:alice")
		must(t, err)
		if !got.Equal(want) {
			t.Errorf("got lock until %v, want %v", got, want)
		}
	}

	must(t, s.ClearLoginFailures(ctx, "user:alice"))
	got, err := s.LoginLockedUntil(ctx, "user:alice")
	must(t, err)
	if got.IsZero() {
		t.Error("got no lock after clearing failures, want the lock kept")
	}
}

func testEnsureSecret(t *testing.T, s consentry.Store) {
	ctx := context.Background()
	first := []byte("first value")
	got, err := s.EnsureSecret(ctx, "subject-key", first)
	must(t, err)
	equal(t, "secret", got, first)

	got, err = s.EnsureSecret(ctx, "subject-key", []byte("second value"))
	must(t, err)
	equal(t, "secret after a second call", got, first)

	got, err = s.EnsureSecret(ctx, "session-key", []byte("other"))
	must(t, err)
	equal(t, "other secret", got, []byte("other"))
}

func sampleKey(id string, created time.Time) consentry.SigningKey {
	return consentry.SigningKey{
		ID:          id,
		Algorithm:   "ES256",
		PrivateKey:  []byte("sealed private key " + id),
		PublicKey:   []byte(`{"kty":"EC","crv":"P-256","kid":"` + id + `"}`),
		CreatedAt:   created,
		ActivatesAt: created.Add(5 * time.Minute),
	}
}

func testSigningKeys(t *testing.T, s consentry.Store) {
	ctx := context.Background()
	first := sampleKey("key-1", t0)
	created, err := s.CreateFirstSigningKey(ctx, first)
	must(t, err)
	if !created {
		t.Error("got created false for the first key, want true")
	}
	created, err = s.CreateFirstSigningKey(ctx, sampleKey("key-x", t0))
	must(t, err)
	if created {
		t.Error("got created true with a key present, want false")
	}

	second := sampleKey("key-2", after(time.Hour))
	must(t, s.CreateSigningKey(ctx, second))
	wantErr(t, s.CreateSigningKey(ctx, second), consentry.ErrConflict)

	must(t, s.RetireSigningKey(ctx, first.ID, after(2*time.Hour)))
	must(t, s.RetireSigningKey(ctx, first.ID, after(3*time.Hour)))
	must(t, s.RevokeSigningKey(ctx, second.ID, after(4*time.Hour)))
	must(t, s.RevokeSigningKey(ctx, second.ID, after(5*time.Hour)))
	first.RetiredAt = timePtr(after(2 * time.Hour))
	second.RevokedAt = timePtr(after(4 * time.Hour))

	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	equal(t, "keys", keys, []consentry.SigningKey{first, second})

	wantErr(t, s.RetireSigningKey(ctx, "no-such-key", t0), consentry.ErrNotFound)
	wantErr(t, s.RevokeSigningKey(ctx, "no-such-key", t0), consentry.ErrNotFound)

	// A retired key is still unrevoked; once every key is revoked, a first
	// key may be created again.
	created, err = s.CreateFirstSigningKey(ctx, sampleKey("key-y", after(6*time.Hour)))
	must(t, err)
	if created {
		t.Error("got created true with a retired key present, want false")
	}
	must(t, s.RevokeSigningKey(ctx, first.ID, after(6*time.Hour)))
	created, err = s.CreateFirstSigningKey(ctx, sampleKey("key-3", after(7*time.Hour)))
	must(t, err)
	if !created {
		t.Error("got created false with every key revoked, want true")
	}
}
