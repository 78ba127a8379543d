package e2e_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/consentry/consentry"
)

// leakyError is a storage failure whose text contains what must never reach a
// client: SQL, a file path and a Go source position.
var leakyError = errors.New(`sqlstore: get: SQL logic error: near "SELEC": syntax error ` +
	`in "SELECT secret_hash FROM clients WHERE id = ?" at /var/lib/consentry/consentry.db ` +
	`(sqlstore/clients.go:42)`)

// leakMarkers are fragments of leakyError and of Go panics and stack traces.
var leakMarkers = []string{"SELECT", "secret_hash", "/var/lib", "consentry.db", ".go:",
	"sqlstore", "SQL", "goroutine", "panic"}

// faultCase is a request whose handling reaches one store method.
type faultCase struct {
	name   string
	method string
	// send prepares what the request needs while the store is healthy and
	// returns a function that sends it.
	send func(e *env) func() jsonResponse
}

func faultCases() []faultCase {
	cc := url.Values{"grant_type": {"client_credentials"}}
	return []faultCase{
		{"token client auth", "GetClient", func(e *env) func() jsonResponse {
			return func() jsonResponse { return e.token(cc) }
		}},
		{"token code", "RedeemCode", func(e *env) func() jsonResponse {
			code := e.code(url.Values{})
			return func() jsonResponse { return e.token(codeExchange(code)) }
		}},
		{"token refresh", "GetRefreshToken", func(e *env) func() jsonResponse {
			rt := refreshTokenOf(e.userTokens())
			return func() jsonResponse { return e.refresh(rt) }
		}},
		{"token client credentials", "CreateAccessToken", func(e *env) func() jsonResponse {
			return func() jsonResponse { return e.token(cc) }
		}},
		{"delete revoke", "GetAccessToken", func(e *env) func() jsonResponse {
			token := e.clientToken()
			return func() jsonResponse { return e.bearer(http.MethodDelete, revokePath, token) }
		}},
		{"post revoke access token", "GetAccessToken", func(e *env) func() jsonResponse {
			token := e.clientToken()
			return func() jsonResponse { return e.postRevoke(token, "access_token") }
		}},
		{"post revoke refresh token", "GetRefreshToken", func(e *env) func() jsonResponse {
			rt := refreshTokenOf(e.userTokens())
			return func() jsonResponse { return e.postRevoke(rt, "refresh_token") }
		}},
		{"providers token", "GetAccessToken", func(e *env) func() jsonResponse {
			token := e.clientToken()
			return func() jsonResponse { return e.bearer(http.MethodGet, "/api/v1/providers", token) }
		}},
		{"providers v1 list", "ListProviders", func(e *env) func() jsonResponse {
			token := e.clientToken()
			return func() jsonResponse { return e.bearer(http.MethodGet, "/api/v1/providers", token) }
		}},
		{"providers v2 list", "ListProviders", func(e *env) func() jsonResponse {
			token := e.clientToken()
			return func() jsonResponse { return e.bearer(http.MethodGet, "/api/v2/providers", token) }
		}},
	}
}

// TestStoreUnavailable checks that an unreachable store results in
// 503 temporarily_unavailable and a Retry-After.
func TestStoreUnavailable(t *testing.T) {
	e, faults := newFaultEnv(t)
	for _, fc := range faultCases() {
		t.Run(fc.name, func(t *testing.T) {
			send := fc.send(e)
			faults.fail(fc.method, fmt.Errorf("sqlstore: %s: %w", fc.method, consentry.ErrUnavailable))
			r := send()
			faults.heal()
			wantOAuthError(t, r, http.StatusServiceUnavailable, "temporarily_unavailable")
			if got := r.resp.Header.Get("Retry-After"); got != "5" {
				t.Errorf("got Retry-After %q, want 5", got)
			}
		})
	}
}

// TestStoreFailureHidden checks that an unexpected storage failure is a
// 500 server_error whose body shows none of the cause, while the log keeps
// the cause with the request id.
func TestStoreFailureHidden(t *testing.T) {
	e, faults := newFaultEnv(t)
	for _, fc := range faultCases() {
		t.Run(fc.name, func(t *testing.T) {
			send := fc.send(e)
			faults.fail(fc.method, leakyError)
			r := send()
			faults.heal()
			wantOAuthError(t, r, http.StatusInternalServerError, "server_error")
			for _, marker := range leakMarkers {
				if strings.Contains(r.raw, marker) {
					t.Errorf("got body containing %q, want no internals: %s", marker, r.raw)
				}
			}
			wantLoggedCause(t, e, r.resp.Header.Get("X-Request-Id"))
		})
	}
}

// wantLoggedCause checks that a log line with the request id contains the
// storage failure.
func wantLoggedCause(t *testing.T, e *env, requestID string) {
	t.Helper()
	if requestID == "" {
		t.Fatal("got no X-Request-Id, want one")
	}
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, requestID) && strings.Contains(line, "secret_hash") {
			return
		}
	}
	t.Errorf("got no log line with request id %s and the cause, want one", requestID)
}
