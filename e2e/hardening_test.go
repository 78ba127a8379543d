package e2e_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/server"
	"github.com/consentry/consentry/tokens"
)

// These tests come from attacking a running server as a new integrator and
// as an adversary would. Each pins one rule that an attack broke.

// longScope is a scope parameter of valid, repeated scopes over 1 KiB.
// Removing repeats costs quadratic time, so without a bound a 60 KiB scope of
// distinct tokens costs a few hundred milliseconds of CPU per request.
func longScope(scope string) string {
	return strings.TrimSpace(strings.Repeat(scope+" ", 1100/len(scope)+1))
}

func TestScopeOverOneKiBRejected(t *testing.T) {
	t.Run("authorize", func(t *testing.T) {
		e := newEnv(t)
		params := e.authorizeParams(url.Values{"scope": {longScope(consentry.ScopeAccountBasic)}})
		p := e.newBrowser().get(e.authorizeURL(params))
		e.wantErrorRedirect(t, p, server.DevRedirectURIs[0], oauth.ErrScopeTooLong,
			params.Get("state"))
	})
	t.Run("client credentials", func(t *testing.T) {
		e := newEnv(t)
		r := e.token(url.Values{"grant_type": {"client_credentials"},
			"scope": {longScope(consentry.ScopeClientAdmin)}})
		wantOAuthError(t, r, http.StatusBadRequest, "invalid_scope")
	})
	t.Run("refresh", func(t *testing.T) {
		e := newEnv(t)
		rt := refreshTokenOf(e.userTokens())
		r := e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
			"scope": {longScope(consentry.ScopeAccountBasic)}})
		wantOAuthError(t, r, http.StatusBadRequest, "invalid_scope")
		// The rejected request must leave the token unused.
		e.refreshOK(rt)
	})
}

// TestLogsClientIDOnlyWhenKnown checks that the endpoints with client
// authentication log a client_id only when it names a registered client: an
// integrator who swaps the id and secret fields would otherwise write the
// secret to the log.
func TestLogsClientIDOnlyWhenKnown(t *testing.T) {
	const pasted = "pasted-Secret-7c41e"
	e := newEnv(t)
	token := e.clientToken()
	tests := []struct {
		name string
		req  tokenRequest
		want string
	}{
		{"token basic unknown", tokenRequest{authorization: basicHeader(pasted, "x"), body: ccForm}, ""},
		{"token body unknown", tokenRequest{body: withForm("client_id", pasted, "client_secret", "x")}, ""},
		{"token public unknown", tokenRequest{body: withForm("client_id", pasted)}, ""},
		{"revoke unknown", tokenRequest{path: revokePath, authorization: basicHeader(pasted, "x"),
			body: "token=" + token}, ""},
		{"introspect unknown", tokenRequest{path: "/api/v1/introspect",
			authorization: basicHeader(pasted, "x"), body: "token=" + token}, ""},
		{"token wrong secret", tokenRequest{authorization: basicHeader(server.DevClientID, "x"),
			body: ccForm}, server.DevClientID},
		{"token valid", tokenRequest{authorization: devBasic, body: ccForm}, server.DevClientID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.contentType = formType
			r := tt.req.send(e)
			line := e.requestLog(t, r.resp.Header.Get("X-Request-Id"))
			got, present := line["client_id"]
			switch {
			case tt.want == "" && present:
				t.Errorf("got client_id %v in the request log, want none", got)
			case tt.want != "" && got != tt.want:
				t.Errorf("got client_id %v in the request log, want %q", got, tt.want)
			}
		})
	}
	if strings.Contains(e.logs.String(), pasted) {
		t.Error("logs contain the unknown client_id value")
	}
}

// TestTokenTwoAuthorizationHeaders checks that a request with two
// Authorization headers is rejected rather than authenticated with the first:
// a field that is not a list may appear only once (RFC 9110), and proxies
// differ in which copy they forward.
func TestTokenTwoAuthorizationHeaders(t *testing.T) {
	e := newEnv(t)
	for _, order := range [][]string{
		{devBasic, basicHeader("nobody", "x")},
		{basicHeader("nobody", "x"), devBasic},
	} {
		req, err := http.NewRequest(http.MethodPost, e.issuer+tokenPath, strings.NewReader(ccForm))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", formType)
		req.Header["Authorization"] = order
		r := e.do(req)
		if r.resp.StatusCode == http.StatusOK {
			t.Errorf("headers %q: got a token, want the request rejected", order)
			continue
		}
		wantOAuthError(t, r, http.StatusBadRequest, "invalid_request")
	}
}

// TestSecurityLogLinesCarryRequestID checks that the warnings about a
// replayed code and a reused refresh token name the request that caused
// them, so that an operator can find the client's request and its response.
func TestSecurityLogLinesCarryRequestID(t *testing.T) {
	e := newEnv(t)
	code := e.code(nil)
	e.exchange(code)
	replay := e.token(codeExchange(code))
	e.wantWarningWithRequestID(t, "authorization code replayed", replay)

	rt := refreshTokenOf(e.userTokens())
	e.refreshOK(rt)
	e.clock.Advance(10 * time.Second)
	reuse := e.refresh(rt)
	e.wantWarningWithRequestID(t, "refresh token reused", reuse)
}

func (e *env) wantWarningWithRequestID(t *testing.T, msgPrefix string, r jsonResponse) {
	t.Helper()
	id := r.resp.Header.Get("X-Request-Id")
	for _, line := range e.logLines(t) {
		msg, _ := line["msg"].(string)
		if !strings.HasPrefix(msg, msgPrefix) {
			continue
		}
		if got := line["request_id"]; got != id {
			t.Errorf("got request_id %v on %q, want %q", got, msg, id)
		}
		return
	}
	t.Errorf("no log line starts with %q", msgPrefix)
}

// TestSessionCookieOutlivesPendingRequest checks that the session cookie
// outlives the pending request: with a long --auth-request-ttl, a cookie that
// expired first would strand the user on an error page instead of the
// consent page or the session_expired redirect.
func TestSessionCookieOutlivesPendingRequest(t *testing.T) {
	for _, ttl := range []time.Duration{15 * time.Minute, 2 * time.Hour} {
		t.Run(ttl.String(), func(t *testing.T) {
			e := newEnv(t, func(c *server.Config) { c.OAuth.AuthRequestTTL = ttl })
			p := e.newBrowser().get(e.authorizeURL(e.authorizeParams(nil)))
			cookie := sessionCookie(p, "consentry_session")
			if cookie == nil {
				t.Fatal("authorize set no session cookie")
			}
			if got := time.Duration(cookie.MaxAge) * time.Second; got <= ttl {
				t.Errorf("got cookie Max-Age %s, want more than the request lifetime %s", got, ttl)
			}
		})
	}
}

// TestIssuerValidation checks the issuers that a server on a loopback
// address accepts. A plain-http issuer on another host gets Secure cookies
// that no browser sends back over http. An issuer with a path or user
// information names endpoints that the server does not serve. Either would
// start a server on which no authorization can finish.
func TestIssuerValidation(t *testing.T) {
	tests := []struct {
		name   string
		issuer string
		ok     bool
	}{
		{"loopback http", "http://127.0.0.1:8080", true},
		{"localhost http", "http://localhost:8080", true},
		{"https", "https://auth.example.com", true},
		{"trailing slash", "https://auth.example.com/", true},
		{"http other host", "http://auth.example.com", false},
		{"path", "http://127.0.0.1:8080/auth", false},
		{"https path", "https://auth.example.com/consentry", false},
		{"user information", "http://user:pw@127.0.0.1:8080", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := server.Config{Addr: "127.0.0.1:8080", Issuer: tt.issuer, Dev: true,
				KeyEncryptionKey: tokens.DevKeyEncryptionKey}
			err := cfg.Validate()
			switch {
			case tt.ok && err != nil:
				t.Errorf("got error %v, want the issuer accepted", err)
			case !tt.ok && err == nil:
				t.Error("got no error, want the issuer rejected")
			case !tt.ok && !strings.Contains(err.Error(), "--issuer"):
				t.Errorf("got error %q, want it to name --issuer", err)
			}
		})
	}
}

// TestAdminListenerServesProfiling checks that --admin-addr serves the Go
// profiling endpoints next to /metrics, and that the main listener never
// serves them.
func TestAdminListenerServesProfiling(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	store := newTestStore(t)
	srv, err := server.New(ctx, server.Config{Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		Issuer: "http://127.0.0.1:1", Dev: true, KeyEncryptionKey: tokens.DevKeyEncryptionKey},
		store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("assemble server: %v", err)
	}
	addrs := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- srv.Run(ctx, func(addr, admin string) { addrs <- [2]string{addr, admin} })
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	bound := <-addrs
	wantStatusAt(t, "http://"+bound[1]+"/debug/pprof/", http.StatusOK)
	wantStatusAt(t, "http://"+bound[1]+"/metrics", http.StatusOK)
	wantStatusAt(t, "http://"+bound[0]+"/debug/pprof/", http.StatusNotFound)
}

func wantStatusAt(t *testing.T, rawURL string, status int) {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Errorf("GET %s: got status %d, want %s", rawURL, resp.StatusCode, strconv.Itoa(status))
	}
}

// TestSignInAddressLockIPv6Prefix checks that the per-address sign-in limit
// counts an IPv6 /64 as one address: a single host often controls a whole
// /64 and picks any address in it, so counting each /128 apart would let it
// try passwords from 2^64 addresses.
func TestSignInAddressLockIPv6Prefix(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Login.AddrFailures = 3 })
	b := e.newBrowser()
	signInPage := e.openSignIn(b, nil)
	f := parseForm(t, signInPage.body)
	issuer, err := url.Parse(e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	handler := e.srv.Handler()

	post := func(remoteAddr, username string) int {
		form := url.Values{"request": f.values["request"], "csrf_token": f.values["csrf_token"],
			"username": {username}, "password": {wrongPassword}}
		req := httptest.NewRequest(http.MethodPost, e.issuer+f.action, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", formType)
		req.RemoteAddr = remoteAddr
		for _, c := range b.client.Jar.Cookies(issuer) {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec.Code
	}

	// Each attempt names another user, so that only the address limit can
	// apply.
	for i := 1; i <= 3; i++ {
		addr := "[2001:db8:1:2::" + strconv.Itoa(i) + "]:40000"
		if got := post(addr, "user-"+strconv.Itoa(i)); got != http.StatusUnauthorized {
			t.Fatalf("attempt %d: got status %d, want 401", i, got)
		}
	}

	if got := post("[2001:db8:1:2:ffff::9]:40000", "user-9"); got != http.StatusTooManyRequests {
		t.Errorf("got status %d from the same /64, want 429", got)
	}
	if got := post("[2001:db8:1:3::1]:40000", "user-10"); got != http.StatusUnauthorized {
		t.Errorf("got status %d from another /64, want 401", got)
	}
}
