package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestServeRejectsConfiguration(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{
			name: "dev off loopback",
			args: []string{"serve", "--dev", "--addr", "0.0.0.0:8080", "--issuer", "https://auth.example.com"},
			want: []string{"--dev is only allowed on a loopback --addr"},
		},
		{
			name: "http issuer off loopback",
			args: []string{"serve", "--addr", "0.0.0.0:8080", "--issuer", "http://auth.example.com"},
			env:  map[string]string{"CONSENTRY_KEY": strings.Repeat("ab", 32)},
			want: []string{"--issuer must be https when --addr is not a loopback address"},
		},
		{
			name: "default issuer off loopback",
			args: []string{"serve", "--addr", ":8080"},
			env:  map[string]string{"CONSENTRY_KEY": strings.Repeat("ab", 32)},
			want: []string{"--issuer must be https"},
		},
		{
			name: "no key-encryption key",
			args: []string{"serve"},
			want: []string{"missing key-encryption key"},
		},
		{
			name: "every problem at once",
			args: []string{"serve", "--dev", "--addr", "10.0.0.1:80", "--issuer", "http://x.example",
				"--invalid-client-status", "403", "--refresh-grace", "-1s"},
			want: []string{"--dev is only allowed", "--issuer must be https", "--invalid-client-status",
				"--refresh-grace"},
		},
		{
			name: "bad trusted proxy",
			args: []string{"serve", "--dev", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "proxy.internal"},
			want: []string{`invalid --trusted-proxy "proxy.internal"`},
		},
		{
			name: "malformed key",
			args: []string{"serve"},
			env:  map[string]string{"CONSENTRY_KEY": "not-a-key"},
			want: []string{"invalid key-encryption key"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			for k, v := range tt.env {
				c.env[k] = v
			}
			r := c.run("", tt.args...)
			if r.err == nil {
				t.Fatal("serve started; want a configuration error")
			}
			for _, want := range tt.want {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("got error %q, want it to contain %q", r.err, want)
				}
			}
			if strings.Contains(r.err.Error(), "not-a-key") {
				t.Errorf("error %q echoes the key", r.err)
			}
		})
	}
}

// TestServeBinaryDevAndShutdown builds the real binary, starts serve --dev,
// sends a client-credentials request, and checks that SIGTERM ends it with
// exit code 0 and JSON logs free of secrets.
func TestServeBinaryDevAndShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "consentry")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--dev", "--addr", addr)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CONSENTRY_DB=", "CONSENTRY_KEY=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	defer cmd.Process.Kill()
	logs := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(stderr)
		logs <- string(b)
	}()

	authorizeURL := readAuthorizeURL(t, stdout)
	if !strings.HasPrefix(authorizeURL, "http://"+addr+"/api/v1/authorize?") {
		t.Errorf("got authorize URL %q, want one on http://%s", authorizeURL, addr)
	}
	if _, err := os.Stat(filepath.Join(dir, "consentry-dev.db")); err != nil {
		t.Errorf("dev database: %v", err)
	}

	resp := postClientCredentials(t, addr)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("client credentials: got status %d, want 200", resp.StatusCode)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signal: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: got %v, want exit code 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20 s of SIGTERM")
	}
	out := <-logs
	for _, want := range []string{`"msg":"server stopped"`, `"route":"POST /api/v1/token"`,
		"development mode"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
	for _, secret := range []string{"demo-secret", "sqlite:", "Basic "} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// readAuthorizeURL reads serve's stdout until the printed authorize URL.
func readAuthorizeURL(t *testing.T, stdout io.Reader) string {
	t.Helper()
	lines := make(chan string)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("serve exited before printing the authorize URL")
			}
			if s := strings.TrimSpace(line); strings.HasPrefix(s, "http://") {
				go func() {
					for range lines {
					}
				}()
				return s
			}
		case <-timeout:
			t.Fatal("serve printed no authorize URL within 30 s")
		}
	}
}

func postClientCredentials(t *testing.T, addr string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://%s/api/v1/token", addr),
		strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("demo-recipient", "demo-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	resp.Body.Close()
	return resp
}
