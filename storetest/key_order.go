package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/consentry/consentry"
)

// testSigningKeysOneMillisecond stores two keys with one creation time, as
// `consentry keys rotate` on an empty database does when it creates the
// first key and the rotated one within a millisecond. The key that
// activates first is the older one and must be listed first, whatever the
// order of the random kids.
func testSigningKeysOneMillisecond(t *testing.T, s consentry.Store) {
	ctx := context.Background()
	first := sampleKey("z-first", t0)
	first.ActivatesAt = t0
	rotated := sampleKey("a-rotated", t0)
	rotated.ActivatesAt = t0.Add(310 * time.Second)
	created, err := s.CreateFirstSigningKey(ctx, first)
	must(t, err)
	if !created {
		t.Fatal("got created false for the first key, want true")
	}
	must(t, s.CreateSigningKey(ctx, rotated))

	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	equal(t, "keys", keys, []consentry.SigningKey{first, rotated})
}
