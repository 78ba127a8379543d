package e2e_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/consentry/consentry/server"
)

// BenchmarkClientCredentials measures client-credentials token responses
// over HTTP on one SQLite file: client authentication, signing and one
// insert each.
func BenchmarkClientCredentials(b *testing.B) {
	runClientCredentialsBench(b, newEnv(b))
}

// BenchmarkRefresh measures refresh-token rotation on SQLite.
func BenchmarkRefresh(b *testing.B) {
	runRefreshBench(b, newEnv(b))
}

// BenchmarkFullFlow measures whole authorizations: the authorize request,
// sign-in with an Argon2id password check, consent, and the code exchange.
func BenchmarkFullFlow(b *testing.B) {
	e := newEnv(b)
	b.ResetTimer()
	var users atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine signs in as its own user: a new authorization of the
		// same user and client supersedes the codes of the previous one.
		user := fmt.Sprintf("bench-%d", users.Add(1))
		e.createUser(user, "password")
		for pb.Next() {
			query := e.authorizeAs(e.authorizeParams(nil), user, "password")
			r := e.token(url.Values{"grant_type": {"authorization_code"}, "code": {query.Get("code")},
				"redirect_uri": {server.DevRedirectURIs[0]}})
			if r.resp.StatusCode != http.StatusOK {
				b.Fatalf("exchange: got status %d, want 200", r.resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "flows/s")
}
