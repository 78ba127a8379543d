// Package e2e_test drives a real Consentry server over HTTP: the server
// package assembled on a real SQLite file, hosted by httptest, with a cookie
// jar browser that posts the pages' HTML forms.
package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/providers/sandbox"
	"github.com/consentry/consentry/server"
	"github.com/consentry/consentry/sqlite"
	"github.com/consentry/consentry/tokens"
)

// clock is a settable clock shared by the server's protocol rules and token
// checks.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one running server with the development seed.
type env struct {
	t      testing.TB
	store  consentry.Store
	srv    *server.Server
	ts     *httptest.Server
	clock  *clock
	issuer string
	// logs receives the server's JSON log lines.
	logs *syncBuffer
}

// syncBuffer is a log sink that tests can read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newEnv starts a server on a fresh SQLite file. configure may change the
// configuration before the server is assembled.
func newEnv(t testing.TB, configure ...func(*server.Config)) *env {
	t.Helper()
	store := newTestStore(t)
	return newEnvWithStore(t, store, configure...)
}

// newTestStore opens a migrated SQLite store on a fresh file, closed when
// the test ends.
func newTestStore(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "consentry.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return store
}

// newEnvWithStore starts a server over store, which must be migrated.
func newEnvWithStore(t testing.TB, store consentry.Store, configure ...func(*server.Config)) *env {
	t.Helper()
	ctx := context.Background()
	clk := &clock{now: time.Now().Truncate(time.Millisecond)}
	if err := server.SeedDev(ctx, store, clk.Now()); err != nil {
		t.Fatalf("seed: %v", err)
	}

	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	cfg := server.Config{
		Addr:             ts.Listener.Addr().String(),
		Issuer:           issuer,
		Dev:              true,
		KeyEncryptionKey: tokens.DevKeyEncryptionKey,
		Now:              clk.Now,
	}
	for _, c := range configure {
		c(&cfg)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(ctx, cfg, store, log)
	if err != nil {
		t.Fatalf("assemble server: %v", err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	return &env{t: t, store: store, srv: srv, ts: ts, clock: clk, issuer: issuer, logs: logs}
}

// createClient stores a confidential client with a new secret, filling in
// defaults for the fields c leaves empty, and returns the secret.
func (e *env) createClient(c consentry.Client) string {
	e.t.Helper()
	secret := tokens.NewSecret()
	if c.ID == "" {
		c.ID = "client-" + tokens.NewID()
	}
	if c.Name == "" {
		c.Name = "Test Recipient"
	}
	if c.SecretHash == nil && !slicesContain(c.AuthMethods, consentry.AuthMethodNone) {
		c.SecretHash = tokens.Hash(secret)
	}
	if c.AuthMethods == nil {
		c.AuthMethods = []string{consentry.AuthMethodBasic, consentry.AuthMethodPost}
	}
	if c.RedirectURIs == nil {
		c.RedirectURIs = []string{"https://app.example/callback"}
	}
	if c.GrantTypes == nil {
		c.GrantTypes = []string{consentry.GrantAuthorizationCode, consentry.GrantRefreshToken}
	}
	if c.Scopes == nil {
		c.Scopes = consentry.UserDataScopes
	}
	if c.Providers == nil {
		c.Providers = []string{server.DevProviderID}
	}
	c.CreatedAt = e.clock.Now()
	if err := e.store.CreateClient(context.Background(), c); err != nil {
		e.t.Fatalf("create client: %v", err)
	}
	return secret
}

func slicesContain(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// createUser adds a user to the development sandbox provider.
func (e *env) createUser(username, password string) {
	e.t.Helper()
	hash, err := sandbox.HashPassword(password)
	if err != nil {
		e.t.Fatalf("hash password: %v", err)
	}
	err = e.store.CreateSandboxUser(context.Background(), consentry.SandboxUser{
		ProviderID: server.DevProviderID, Username: username, PasswordHash: hash, CreatedAt: e.clock.Now(),
	})
	if err != nil {
		e.t.Fatalf("create sandbox user: %v", err)
	}
}

// authorizeParams returns a valid authorization request of the development
// client; overrides replace or, with an empty slice, remove parameters.
func (e *env) authorizeParams(overrides url.Values) url.Values {
	params := url.Values{
		"response_type": {"code"},
		"client_id":     {server.DevClientID},
		"redirect_uri":  {server.DevRedirectURIs[0]},
		"scope":         {"ACCOUNT_BASIC TRANSACTIONS"},
		"state":         {"state-" + tokens.NewID()},
		"provider_id":   {server.DevProviderID},
	}
	for name, values := range overrides {
		if len(values) == 0 {
			params.Del(name)
			continue
		}
		params[name] = values
	}
	return params
}

func (e *env) authorizeURL(params url.Values) string {
	return e.issuer + "/api/v1/authorize?" + params.Encode()
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so that tests see every 302.
type browser struct {
	t      testing.TB
	client *http.Client
}

func (e *env) newBrowser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatalf("cookie jar: %v", err)
	}
	return &browser{t: e.t, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is a fetched response with its body read.
type page struct {
	resp *http.Response
	body string
}

func (b *browser) get(rawURL string) page {
	b.t.Helper()
	resp, err := b.client.Get(rawURL)
	if err != nil {
		b.t.Fatalf("GET %s: %v", rawURL, err)
	}
	return readPage(b.t, resp)
}

func (b *browser) postForm(rawURL string, form url.Values) page {
	b.t.Helper()
	resp, err := b.client.PostForm(rawURL, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", rawURL, err)
	}
	return readPage(b.t, resp)
}

func readPage(t testing.TB, resp *http.Response) page {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return page{resp: resp, body: string(body)}
}

// form is an HTML form of a page: its action and the values of its
// hidden inputs.
type form struct {
	action string
	values url.Values
}

// parseForm returns the first form of an HTML page.
func parseForm(t testing.TB, body string) form {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	var f *form
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "form" && f == nil {
			f = &form{action: attr(n, "action"), values: url.Values{}}
		}
		if f != nil && n.Type == html.ElementNode && n.Data == "input" && attr(n, "type") == "hidden" {
			f.values.Set(attr(n, "name"), attr(n, "value"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if f == nil {
		t.Fatalf("page has no form:\n%s", body)
	}
	return *f
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// submit posts a page's form with extra fields added.
func (b *browser) submit(base string, p page, fields url.Values) page {
	b.t.Helper()
	f := parseForm(b.t, p.body)
	for name, values := range fields {
		f.values[name] = values
	}
	return b.postForm(base+f.action, f.values)
}

// signIn opens the authorization URL and signs in, returning the consent page.
func (e *env) signIn(b *browser, params url.Values, username, password string) page {
	e.t.Helper()
	signInPage := b.get(e.authorizeURL(params))
	if signInPage.resp.StatusCode != http.StatusOK {
		e.t.Fatalf("authorize: got status %d, want 200:\n%s", signInPage.resp.StatusCode, signInPage.body)
	}
	after := b.submit(e.issuer, signInPage, url.Values{"username": {username}, "password": {password}})
	if after.resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign-in: got status %d, want 303:\n%s", after.resp.StatusCode, after.body)
	}
	consent := b.get(e.issuer + after.resp.Header.Get("Location"))
	if consent.resp.StatusCode != http.StatusOK {
		e.t.Fatalf("consent page: got status %d, want 200:\n%s", consent.resp.StatusCode, consent.body)
	}
	return consent
}

// authorize runs the whole browser flow as the demo user, approves, and
// returns the query of the redirect to the client.
func (e *env) authorize(params url.Values) url.Values {
	e.t.Helper()
	return e.authorizeAs(params, server.DevUsername, server.DevPassword)
}

// authorizeAs runs the whole browser flow as the given sandbox user.
func (e *env) authorizeAs(params url.Values, username, password string) url.Values {
	e.t.Helper()
	b := e.newBrowser()
	consent := e.signIn(b, params, username, password)
	done := b.submit(e.issuer, consent, url.Values{"decision": {"approve"}})
	return redirectQuery(e.t, done, params.Get("redirect_uri"))
}

// code runs the browser flow for the development client and returns a code.
func (e *env) code(overrides url.Values) string {
	e.t.Helper()
	query := e.authorize(e.authorizeParams(overrides))
	code := query.Get("code")
	if code == "" {
		e.t.Fatalf("redirect has no code: %v", query)
	}
	return code
}

// redirectQuery checks that p is a 302 to redirectURI and returns its query.
func redirectQuery(t testing.TB, p page, redirectURI string) url.Values {
	t.Helper()
	if p.resp.StatusCode != http.StatusFound {
		t.Fatalf("got status %d, want 302:\n%s", p.resp.StatusCode, p.body)
	}
	location, err := url.Parse(p.resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("parse Location: %v", err)
	}
	target := location.Scheme + "://" + location.Host + location.Path
	if target != redirectURI {
		t.Fatalf("redirected to %s, want %s", target, redirectURI)
	}
	return location.Query()
}

// jsonResponse is a JSON API answer.
type jsonResponse struct {
	resp *http.Response
	body map[string]any
	raw  string
}

// post sends a form to an API endpoint, with HTTP Basic when id is set.
func (e *env) post(path string, form url.Values, id, secret string) jsonResponse {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) jsonResponse {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	r := jsonResponse{resp: resp, raw: string(raw)}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("decode JSON %q: %v", raw, err)
		}
	}
	return r
}

// token posts to the token endpoint as the development client.
func (e *env) token(form url.Values) jsonResponse {
	e.t.Helper()
	return e.post("/api/v1/token", form, server.DevClientID, server.DevClientSecret)
}

// exchange redeems a code of the development client and fails the test
// unless it succeeds.
func (e *env) exchange(code string) jsonResponse {
	e.t.Helper()
	r := e.token(url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {server.DevRedirectURIs[0]}})
	wantStatus(e.t, r, http.StatusOK)
	return r
}

// refresh uses a refresh token of the development client.
func (e *env) refresh(refreshToken string) jsonResponse {
	e.t.Helper()
	return e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// bearer sends a request with a bearer token.
func (e *env) bearer(method, path, token string) jsonResponse {
	e.t.Helper()
	req, err := http.NewRequest(method, e.issuer+path, nil)
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

// clientToken returns a client-credentials token of the development client.
func (e *env) clientToken() string {
	e.t.Helper()
	r := e.token(url.Values{"grant_type": {"client_credentials"}})
	wantStatus(e.t, r, http.StatusOK)
	return str(r.body["access_token"])
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func wantStatus(t testing.TB, r jsonResponse, status int) {
	t.Helper()
	if r.resp.StatusCode != status {
		t.Fatalf("got status %d, want %d; body %s", r.resp.StatusCode, status, r.raw)
	}
}

// wantError checks a JSON OAuth error's status and code.
func wantError(t testing.TB, r jsonResponse, status int, code string) {
	t.Helper()
	if r.resp.StatusCode != status {
		t.Errorf("got status %d, want %d; body %s", r.resp.StatusCode, status, r.raw)
	}
	if got := str(r.body["error"]); got != code {
		t.Errorf("got error %q, want %q; body %s", got, code, r.raw)
	}
	if str(r.body["error_description"]) == "" {
		t.Errorf("error_description is empty; body %s", r.raw)
	}
}

// newFaultEnv starts a server whose store can be made to fail.
func newFaultEnv(t testing.TB, configure ...func(*server.Config)) (*env, *faultStore) {
	t.Helper()
	store := newTestStore(t)
	faults := newFaultStore(store)
	return newEnvWithStore(t, faults, configure...), faults
}
