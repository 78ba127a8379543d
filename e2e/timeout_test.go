package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/server"
)

// hangingStore simulates a database that accepted a query and never
// replies: GetClient waits until the request's deadline.
type hangingStore struct {
	consentry.Store
}

func (h hangingStore) GetClient(ctx context.Context, id string) (consentry.Client, error) {
	<-ctx.Done()
	return consentry.Client{}, ctx.Err()
}

func TestRequestTimeoutEndsHangingStorage(t *testing.T) {
	store := newTestStore(t)
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
