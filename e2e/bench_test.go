package e2e_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/consentry/consentry/server"
)

// newBenchEnv starts a server for a benchmark with logs discarded.
func newBenchEnv(b *testing.B) *env {
	b.Helper()
	return newEnv(b)
}

// BenchmarkClientCredentials measures client-credentials token responses over
// HTTP on one SQLite file: client authentication, signing and one insert
// each.
func BenchmarkClientCredentials(b *testing.B) {
	e := newBenchEnv(b)
	body := "grant_type=client_credentials"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, e.issuer+"/api/v1/token", strings.NewReader(body))
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

// BenchmarkFullFlow measures whole authorizations: the authorize request,
// sign-in with an Argon2id password check, consent, and the code exchange.
func BenchmarkFullFlow(b *testing.B) {
	e := newBenchEnv(b)
	b.ResetTimer()
	var users atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine signs in as its own user: a new authorization of the
		// same user and client supersedes the codes of the previous one.
		user := fmt.Sprintf("bench-%d", users.Add(1))
		e.createUser(user, "password")
		for pb.Next() {
			query := e.authorizeAs(e.authorizeParams(nil), user, "password")
			code := query.Get("code")
			r := e.token(url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {server.DevRedirectURIs[0]}})
			if r.resp.StatusCode != http.StatusOK {
				b.Fatalf("exchange: got status %d, want 200", r.resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "flows/s")
}

// BenchmarkRefresh measures refresh-token rotation: one token chain per
// goroutine, each refresh using the token the previous one returned.
func BenchmarkRefresh(b *testing.B) {
	e := newBenchEnv(b)
	b.ResetTimer()
	var users atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
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
