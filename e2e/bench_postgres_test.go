package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/consentry/consentry/postgres"
	"github.com/consentry/consentry/postgres/pgtest"
	"github.com/consentry/consentry/server"
)

// newPostgresBenchEnv starts a server on a new PostgreSQL database, or
// skips the benchmark when CONSENTRY_TEST_POSTGRES is unset.
func newPostgresBenchEnv(b *testing.B) *env {
	b.Helper()
	ctx := context.Background()
	store, err := postgres.Open(ctx, pgtest.NewDatabase(b))
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	b.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		b.Fatalf("migrate: %v", err)
	}
	return newEnvWithStore(b, store)
}

// BenchmarkClientCredentialsPostgres is BenchmarkClientCredentials on
// PostgreSQL.
func BenchmarkClientCredentialsPostgres(b *testing.B) {
	runClientCredentialsBench(b, newPostgresBenchEnv(b))
}

// BenchmarkRefreshPostgres is BenchmarkRefresh on PostgreSQL.
func BenchmarkRefreshPostgres(b *testing.B) {
	runRefreshBench(b, newPostgresBenchEnv(b))
}

// runClientCredentialsBench measures client-credentials token responses
// over HTTP: client authentication, signing and one insert each.
func runClientCredentialsBench(b *testing.B, e *env) {
	body := "grant_type=client_credentials"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, e.issuer+"/api/v1/token",
				strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(server.DevClientID, server.DevClientSecret)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("got status %d, want 200", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// runRefreshBench measures refresh-token rotation: one token chain per
// goroutine, each refresh using the token the previous one returned.
func runRefreshBench(b *testing.B, e *env) {
	b.ResetTimer()
	var users atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine signs in as its own user: a new authorization of
		// the same user and client supersedes the tokens of the previous one.
		user := fmt.Sprintf("bench-%d", users.Add(1))
		e.createUser(user, "password")
		query := e.authorizeAs(e.authorizeParams(nil), user, "password")
		refresh := str(e.exchange(query.Get("code")).body["refresh_token"])
		for pb.Next() {
			r := e.refresh(refresh)
			if r.resp.StatusCode != http.StatusOK {
				b.Fatalf("refresh: got status %d, want 200; %s", r.resp.StatusCode, r.raw)
			}
			refresh = str(r.body["refresh_token"])
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refreshes/s")
}
