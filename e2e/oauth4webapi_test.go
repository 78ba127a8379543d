package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/consentry/consentry/server"
)

// The oauth4webapi test runs the JavaScript client in ./oauth4webapi with
// Node.js. It skips when Node.js or the installed package is missing, unless
// this variable is 1, as CI sets it, so that a broken install fails there.
const requireNodeEnv = "CONSENTRY_TEST_NODE"

// flowTimeout bounds the whole node run. The flow sends about 30 requests,
// each limited to 10 s by flow.mjs itself.
const flowTimeout = 2 * time.Minute

// TestOAuth4WebAPIFlow runs the oauth4webapi library (a strict OAuth client)
// against a real consentry serve process: discovery, the authorization-code
// flow with PKCE for a confidential and a public client, refresh,
// introspection and revocation. It then stops the server with SIGTERM.
func TestOAuth4WebAPIFlow(t *testing.T) {
	node := requireNodeTools(t)
	bin := buildConsentry(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "consentry.db")
	srv := startServe(t, bin, db)
	publicID := createPublicClient(t, bin, db)

	ctx, cancel := context.WithTimeout(context.Background(), flowTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "flow.mjs")
	cmd.Dir = "oauth4webapi"
	cmd.Env = append(childEnv(),
		"FLOW_ISSUER="+srv.issuer,
		"FLOW_CONFIDENTIAL_ID="+server.DevClientID,
		"FLOW_CONFIDENTIAL_SECRET="+server.DevClientSecret,
		"FLOW_PUBLIC_ID="+publicID,
		"FLOW_REDIRECT_URI="+server.DevRedirectURIs[0],
		"FLOW_PROVIDER_ID="+server.DevProviderID,
		"FLOW_USERNAME="+server.DevUsername,
		"FLOW_PASSWORD="+server.DevPassword,
	)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("node flow.mjs output:\n%s", out)
	if err != nil {
		t.Logf("server output:\n%s", srv.output.String())
		t.Fatalf("node flow.mjs: got %v, want exit code 0", err)
	}

	if err := srv.stop(); err != nil {
		t.Logf("server output:\n%s", srv.output.String())
		t.Fatalf("serve after SIGTERM: got %v, want exit code 0", err)
	}
}

// requireNodeTools returns the path of node, or skips the test (fails it
// when CONSENTRY_TEST_NODE=1) when node or the npm packages are missing.
func requireNodeTools(t *testing.T) string {
	t.Helper()
	missing := t.Skipf
	if os.Getenv(requireNodeEnv) == "1" {
		missing = t.Fatalf
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found (%v): install Node.js 20 or later", err)
	}
	if _, err := os.Stat(filepath.Join("oauth4webapi", "node_modules", "oauth4webapi")); err != nil {
		missing("oauth4webapi is not installed (%v): run npm ci --prefix e2e/oauth4webapi", err)
	}
	return node
}

// buildConsentry builds the consentry command into a temporary directory.
func buildConsentry(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "consentry")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/consentry")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/consentry: %v\n%s", err, out)
	}
	return bin
}

// childEnv returns this process's environment without the variables that
// would change the children: each CONSENTRY_ variable sets the consentry flag
// of the same name, and FLOW_ variables are flow.mjs settings.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CONSENTRY_") && !strings.HasPrefix(kv, "FLOW_") {
			env = append(env, kv)
		}
	}
	return env
}

// serveProcess is a running consentry serve.
type serveProcess struct {
	cmd    *exec.Cmd
	issuer string
	output *syncBuffer
	// done is closed when the process has exited, and err is then its
	// result.
	done chan struct{}
	err  error
}

// startServe starts consentry serve --dev on a free loopback port and waits
// until it is ready. A cleanup kills it if the test ends before stop.
func startServe(t *testing.T, bin, db string) *serveProcess {
	t.Helper()
	addr := freeLoopbackAddr(t)
	p := &serveProcess{output: &syncBuffer{}, done: make(chan struct{}), issuer: "http://" + addr}
	p.cmd = exec.Command(bin, "serve", "--dev", "--addr", addr, "--db", db)
	p.cmd.Env = childEnv()
	p.cmd.Stdout = p.output
	p.cmd.Stderr = p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start consentry serve: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	if err := p.waitReady(30 * time.Second); err != nil {
		t.Fatalf("consentry serve: %v\n%s", err, p.output.String())
	}
	return p
}

// waitReady polls /readyz until it returns 200, the process exits or the
// timeout passes.
func (p *serveProcess) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return errors.New("exited before it was ready: " + errString(p.err))
		default:
		}
		resp, err := client.Get(p.issuer + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("not ready after " + timeout.String())
}

func errString(err error) string {
	if err == nil {
		return "exit code 0"
	}
	return err.Error()
}

// stop sends SIGTERM and returns the process's exit error, or an error when
// it has not exited within 15 s.
func (p *serveProcess) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(15 * time.Second):
		return errors.New("still running 15 s after SIGTERM")
	}
}

// freeLoopbackAddr returns a 127.0.0.1 address whose port was free a moment
// ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// createPublicClient registers a public client of the development provider
// with the CLI, while the server runs on the same database, and returns its
// client_id.
func createPublicClient(t *testing.T, bin, db string) string {
	t.Helper()
	cmd := exec.Command(bin, "client", "create",
		"--name", "oauth4webapi public client",
		"--public", "--json",
		"--redirect-uri", server.DevRedirectURIs[0],
		"--grant-type", "authorization_code",
		"--grant-type", "refresh_token",
		"--scope", "ACCOUNT_BASIC TRANSACTIONS",
		"--provider", server.DevProviderID,
		"--db", db,
	)
	cmd.Env = childEnv()

	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("consentry client create: %v\n%s", err, stderr.String())
	}

	var created struct {
		ClientID     string  `json:"client_id"`
		ClientSecret *string `json:"client_secret"`
	}
	if err := json.Unmarshal(out, &created); err != nil {
		t.Fatalf("decode client create output %q: %v", out, err)
	}
	if created.ClientID == "" {
		t.Fatalf("client create output has no client_id: %s", out)
	}
	if created.ClientSecret != nil && *created.ClientSecret != "" {
		t.Fatalf("public client got a client_secret: %s", out)
	}
	return created.ClientID
}
