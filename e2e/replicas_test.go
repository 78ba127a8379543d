package e2e_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/consentry/consentry/postgres/pgtest"
)

// replicaRaceSize is how many requests race to use one refresh token.
const replicaRaceSize = 200

// replica is one consentry serve process of a cluster.
type replica struct {
	cmd *exec.Cmd
	// base is the replica's own address; every replica uses the first one's
	// URL as its issuer, as replicas behind a load balancer share one.
	base   string
	output *syncBuffer
	done   chan struct{}
	err    error
}

// cluster is several consentry serve processes on one PostgreSQL database.
type cluster struct {
	t        *testing.T
	bin      string
	dsn      string
	issuer   string
	replicas []*replica
	// http sends the API requests, with enough idle connections for the
	// refresh race.
	http *http.Client
}

// startCluster starts n consentry serve processes together on a new
// database, with one key-encryption key and the first one's URL as the
// issuer, and waits until every one is ready. Cleanups stop them, and a
// timer kills them shortly before the test binary's deadline, when cleanups
// do not run.
func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	c := &cluster{t: t, bin: buildConsentry(t), dsn: dsn,
		http: &http.Client{Timeout: 30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: replicaRaceSize}}}
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = freeLoopbackAddr(t)
	}
	c.issuer = "http://" + addrs[0]
	kek := make([]byte, 32)
	rand.Read(kek)
	for _, addr := range addrs {
		c.replicas = append(c.replicas, c.start(addr, hex.EncodeToString(kek)))
	}
	if deadline, ok := t.Deadline(); ok {
		timer := time.AfterFunc(time.Until(deadline)-5*time.Second, c.kill)
		t.Cleanup(func() { timer.Stop() })
	}
	for _, r := range c.replicas {
		if err := r.waitReady(c.http, 60*time.Second); err != nil {
			t.Fatalf("replica %s: %v\n%s", r.base, err, r.output.String())
		}
	}
	return c
}

// start starts one replica. The refresh reuse window is raised to a minute
// so that the refresh race, however slow the machine, stays inside it and
// does not count as token theft.
func (c *cluster) start(addr, kek string) *replica {
	c.t.Helper()
	r := &replica{base: "http://" + addr, output: &syncBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(c.bin, "serve", "--addr", addr, "--issuer", c.issuer,
		"--db", c.dsn, "--log-level", "warn", "--refresh-reuse-window", "1m")
	r.cmd.Env = append(childEnv(), "CONSENTRY_KEY="+kek)
	r.cmd.Stdout = r.output
	r.cmd.Stderr = r.output
	if err := r.cmd.Start(); err != nil {
		c.t.Fatalf("start consentry serve: %v", err)
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	c.t.Cleanup(func() {
		if err := r.stop(); err != nil {
			c.t.Errorf("replica %s after SIGTERM: got %v, want exit code 0\n%s",
				r.base, err, r.output.String())
		}
	})
	return r
}

// kill ends every replica at once.
func (c *cluster) kill() {
	for _, r := range c.replicas {
		r.cmd.Process.Kill()
	}
}

// waitReady polls /readyz until it returns 200, the process exits or the
// timeout passes.
func (r *replica) waitReady(client *http.Client, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			return errors.New("exited before it was ready: " + errString(r.err))
		default:
		}
		resp, err := client.Get(r.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("not ready after " + timeout.String())
}

// stop sends SIGTERM and returns the exit error; it kills the process when
// it is still running 15 s later.
func (r *replica) stop() error {
	select {
	case <-r.done:
		return r.err
	default:
	}
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-r.done:
		return r.err
	case <-time.After(15 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
		return errors.New("still running 15 s after SIGTERM")
	}
}

// cli runs a consentry command on the cluster's database and returns its
// standard output.
func (c *cluster) cli(stdin string, args ...string) []byte {
	c.t.Helper()
	cmd := exec.Command(c.bin, append(args, "--db", c.dsn)...)
	cmd.Env = childEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("consentry %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// replicaClient is a client registered with the CLI.
type replicaClient struct {
	ID          string `json:"client_id"`
	Secret      string `json:"client_secret"`
	redirectURI string
}

// seed creates a sandbox provider 1000 with user alice and a confidential
// client registered with it, all through the CLI.
func (c *cluster) seed() replicaClient {
	c.t.Helper()
	c.cli("", "provider", "create", "--id", "1000", "--name", "Replica Bank",
		"--country", "CA", "--kind", "sandbox")
	c.cli("alice-password\n", "sandbox-user", "create", "--provider", "1000",
		"--username", "alice", "--password-stdin")
	redirectURI := "http://127.0.0.1:9/callback"
	out := c.cli("", "client", "create", "--name", "Replica Recipient", "--json",
		"--redirect-uri", redirectURI,
		"--grant-type", "authorization_code", "--grant-type", "refresh_token",
		"--scope", "ACCOUNT_BASIC", "--scope", "TRANSACTIONS", "--provider", "1000")
	client := replicaClient{redirectURI: redirectURI}
	if err := json.Unmarshal(out, &client); err != nil {
		c.t.Fatalf("decode client create output %q: %v", out, err)
	}
	if client.ID == "" || client.Secret == "" {
		c.t.Fatalf("client create printed %s, want a client_id and a client_secret", out)
	}
	return client
}

// post sends a form to a replica with HTTP Basic client authentication.
func (c *cluster) post(r *replica, path string, form url.Values, client replicaClient) jsonResponse {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(client.ID), url.QueryEscape(client.Secret))
	return c.do(req)
}

func (c *cluster) do(req *http.Request) jsonResponse {
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(resp.Body); err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	r := jsonResponse{resp: resp, raw: raw.String()}
	if raw.Len() > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw.Bytes(), &r.body); err != nil {
			c.t.Fatalf("decode JSON %q: %v", raw.String(), err)
		}
	}
	return r
}

// refresh uses a refresh token at a replica.
func (c *cluster) refresh(r *replica, client replicaClient, token string) jsonResponse {
	c.t.Helper()
	return c.post(r, "/api/v1/token",
		url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}, client)
}

// authorizeAcross runs the browser flow with each step on another replica:
// the authorization request on the first, the sign-in on the second and the
// consent on the third. It returns the code.
func (c *cluster) authorizeAcross(client replicaClient) string {
	c.t.Helper()
	a, b, third := c.replicas[0], c.replicas[1], c.replicas[2]
	jar, err := cookiejar.New(nil)
	if err != nil {
		c.t.Fatalf("cookie jar: %v", err)
	}
	// Cookies are kept per host, not per port, so the jar sends the session
	// cookie of one replica to the others, as a browser does behind a load
	// balancer.
	br := &browser{t: c.t, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	nonce := make([]byte, 8)
	rand.Read(nonce)
	state := "state-" + hex.EncodeToString(nonce)
	params := url.Values{"response_type": {"code"}, "client_id": {client.ID},
		"redirect_uri": {client.redirectURI}, "scope": {"ACCOUNT_BASIC TRANSACTIONS"},
		"state": {state}, "provider_id": {"1000"}}

	signIn := br.get(a.base + "/api/v1/authorize?" + params.Encode())
	if signIn.resp.StatusCode != http.StatusOK {
		c.t.Fatalf("authorize on %s: got status %d, want 200:\n%s", a.base,
			signIn.resp.StatusCode, signIn.body)
	}
	signedIn := br.submit(b.base, signIn,
		url.Values{"username": {"alice"}, "password": {"alice-password"}})
	if signedIn.resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign-in on %s: got status %d, want 303:\n%s", b.base,
			signedIn.resp.StatusCode, signedIn.body)
	}
	consent := br.get(third.base + signedIn.resp.Header.Get("Location"))
	if consent.resp.StatusCode != http.StatusOK {
		c.t.Fatalf("consent page on %s: got status %d, want 200:\n%s", third.base,
			consent.resp.StatusCode, consent.body)
	}
	done := br.submit(third.base, consent, url.Values{"decision": {"approve"}})
	query := redirectQuery(c.t, done, client.redirectURI)
	if got := query.Get("state"); got != state {
		c.t.Errorf("got state %q, want %q", got, state)
	}
	if got := query.Get("iss"); got != c.issuer {
		c.t.Errorf("got iss %q, want the shared issuer %q", got, c.issuer)
	}
	if query.Get("code") == "" {
		c.t.Fatalf("redirect has no code: %v", query)
	}
	return query.Get("code")
}

// raceRefresh sends replicaRaceSize refreshes of one token at once, spread
// over the replicas, and returns the responses and how long they took.
func (c *cluster) raceRefresh(client replicaClient, token string) ([]jsonResponse, time.Duration) {
	c.t.Helper()
	responses := make([]jsonResponse, replicaRaceSize)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range responses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			responses[i] = c.refresh(c.replicas[i%len(c.replicas)], client, token)
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	return responses, time.Since(began)
}

// TestReplicas runs three consentry serve processes on one PostgreSQL
// database and checks that the rules hold across them. One browser flow
// spreads over all three, concurrent refreshes of one token have one
// winner, and every replica sees a revocation at once. The replicas, started
// together, create one signing key.
func TestReplicas(t *testing.T) {
	c := startCluster(t, 3)
	client := c.seed()
	a, b, third := c.replicas[0], c.replicas[1], c.replicas[2]

	code := c.authorizeAcross(client)
	exchanged := c.post(a, "/api/v1/token", url.Values{"grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {client.redirectURI}}, client)
	wantStatus(t, exchanged, http.StatusOK)
	refreshToken := str(exchanged.body["refresh_token"])

	responses, took := c.raceRefresh(client, refreshToken)
	t.Logf("%d concurrent refreshes of one token over %d replicas took %v",
		replicaRaceSize, len(c.replicas), took)
	winner := -1
	for i, r := range responses {
		switch {
		case r.resp.StatusCode == http.StatusOK:
			if winner >= 0 {
				t.Errorf("refresh %d: got a second 200 after refresh %d's", i, winner)
			}
			winner = i
		case r.resp.StatusCode != http.StatusBadRequest || str(r.body["error"]) != "invalid_grant":
			t.Errorf("refresh %d: got status %d, body %s; want 400 invalid_grant",
				i, r.resp.StatusCode, r.raw)
		}
	}
	if winner < 0 {
		t.Fatal("got no successful refresh, want exactly one")
	}
	next := c.refresh(c.replicas[(winner+1)%3], client, str(responses[winner].body["refresh_token"]))
	wantStatus(t, next, http.StatusOK)

	// Revoking the connection on one replica ends its tokens on the others.
	req, err := http.NewRequest(http.MethodDelete, b.base+"/api/v1/revoke", nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+str(next.body["access_token"]))
	revoked := c.do(req)
	if revoked.resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke on %s: got status %d, want 204; body %s", b.base,
			revoked.resp.StatusCode, revoked.raw)
	}
	for _, r := range []*replica{a, third} {
		wantError(t, c.refresh(r, client, str(next.body["refresh_token"])),
			http.StatusBadRequest, "invalid_grant")
		introspected := c.post(r, "/api/v1/introspect",
			url.Values{"token": {str(next.body["access_token"])}}, client)
		wantStatus(t, introspected, http.StatusOK)
		if active, _ := introspected.body["active"].(bool); active {
			t.Errorf("introspection on %s: got an active access token, want it revoked", r.base)
		}
	}

	var keys []map[string]any
	out := c.cli("", "keys", "list", "--json")
	if err := json.Unmarshal(out, &keys); err != nil {
		t.Fatalf("decode keys list output %q: %v", out, err)
	}
	if len(keys) != 1 {
		t.Errorf("got %d signing keys after three replicas started together, want 1: %s",
			len(keys), out)
	}
}
