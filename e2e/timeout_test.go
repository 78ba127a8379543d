package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/server"
	"github.com/consentry/consentry/sqlite"
)

// hangingStore stands for a database that accepted a query and never
// answers: GetClient waits until the request's deadline.
type hangingStore struct {
	consentry.Store
}

func (h hangingStore) GetClient(ctx context.Context, id string) (consentry.Client, error) {
	<-ctx.Done()
	return consentry.Client{}, ctx.Err()
}

func TestRequestTimeoutEndsHangingStorage(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "consentry.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	e := newEnvWithStore(t, hangingStore{store}, func(c *server.Config) {
		c.RequestTimeout = 200 * time.Millisecond
	})

	start := time.Now()
	r := e.token(url.Values{"grant_type": {"client_credentials"}})
	elapsed := time.Since(start)
	wantError(t, r, http.StatusServiceUnavailable, "temporarily_unavailable")
	if got := r.resp.Header.Get("Retry-After"); got == "" {
		t.Error("503 without Retry-After")
	}
	if elapsed > 5*time.Second {
		t.Errorf("request took %v, want it ended near the 200 ms timeout", elapsed)
	}
}
