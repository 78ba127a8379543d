package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/server"
	"github.com/consentry/consentry/sqlite"
	"github.com/consentry/consentry/tokens"
)

func openStore(t *testing.T) consentry.Store {
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

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs a server until the test ends and returns its addresses.
func start(t *testing.T, cfg server.Config, store consentry.Store) (string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	type addrs struct{ main, admin string }
	ready := make(chan addrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- srv.Run(ctx, func(main, admin string) { ready <- addrs{main, admin} })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: got %v, want nil after cancel", err)
		}
	})
	select {
	case a := <-ready:
		return a.main, a.admin
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server not ready within 10 s")
	}
	return "", ""
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestAdminAddrServesMetrics(t *testing.T) {
	store := openStore(t)
	cfg := server.Config{
		Addr:             freeAddr(t),
		AdminAddr:        freeAddr(t),
		KeyEncryptionKey: tokens.DevKeyEncryptionKey,
	}
	main, admin := start(t, cfg, store)

	status, body := get(t, "http://"+admin+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("admin /metrics: got status %d, want 200", status)
	}
	if !strings.Contains(body, "consentry_") && !strings.Contains(body, "go_goroutines") {
		t.Errorf("admin /metrics lacks metrics:\n%.500s", body)
	}
	if status, _ := get(t, "http://"+main+"/metrics"); status != http.StatusNotFound {
		t.Errorf("main /metrics with --admin-addr: got status %d, want 404", status)
	}
	if status, _ := get(t, "http://"+main+"/healthz"); status != http.StatusOK {
		t.Errorf("main /healthz: got status %d, want 200", status)
	}
	if status, _ := get(t, "http://"+admin+"/readyz"); status != http.StatusOK {
		t.Errorf("admin /readyz: got status %d, want 200", status)
	}
}

func TestMetricsOnMainWithoutAdminAddr(t *testing.T) {
	store := openStore(t)
	cfg := server.Config{Addr: freeAddr(t), KeyEncryptionKey: tokens.DevKeyEncryptionKey}
	main, _ := start(t, cfg, store)

	// One request first, so that the request counter has a series.
	get(t, "http://"+main+"/healthz")
	status, body := get(t, "http://"+main+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: got status %d, want 200", status)
	}
	if want := `consentry_http_requests_total{route="GET /healthz",status="200"}`; !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %s", want)
	}
}

func TestGarbageCollectionDeletesExpiredRows(t *testing.T) {
	store := openStore(t)
	now := time.Now().Truncate(time.Millisecond)
	if err := server.SeedDev(context.Background(), store, now); err != nil {
		t.Fatalf("seed: %v", err)
	}
	expired := consentry.AuthRequest{
		ID: "expired-request", SessionHash: tokens.Hash("s"), ClientID: server.DevClientID,
		RedirectURI: server.DevRedirectURIs[0], State: "s", Scopes: []string{consentry.ScopeAccountBasic},
		ProviderID: server.DevProviderID,
		Stage:      consentry.StageSignIn, CreatedAt: now.Add(-3 * time.Hour), ExpiresAt: now.Add(-2 * time.Hour),
	}
	if err := store.CreateAuthRequest(context.Background(), expired); err != nil {
		t.Fatalf("create pending request: %v", err)
	}
	cfg := server.Config{
		Addr: freeAddr(t), KeyEncryptionKey: tokens.DevKeyEncryptionKey,
		GCInterval: 20 * time.Millisecond, GCKeep: time.Hour,
	}
	start(t, cfg, store)

	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		_, err := store.GetAuthRequest(context.Background(), expired.ID)
		if err != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Error("expired pending request still stored 5 s after start; want it collected")
}

func TestConfigValidate(t *testing.T) {
	key := tokens.DevKeyEncryptionKey
	tests := []struct {
		name string
		cfg  server.Config
		want string
	}{
		{"defaults", server.Config{KeyEncryptionKey: key}, ""},
		{"https issuer off loopback", server.Config{Addr: "0.0.0.0:443", Issuer: "https://a.example", KeyEncryptionKey: key}, ""},
		{"dev off loopback", server.Config{Addr: "0.0.0.0:8080", Issuer: "https://a.example", Dev: true, KeyEncryptionKey: key}, "--dev"},
		{"http issuer off loopback", server.Config{Addr: "0.0.0.0:8080", Issuer: "http://a.example", KeyEncryptionKey: key}, "must be https"},
		{"bad addr", server.Config{Addr: "8080", KeyEncryptionKey: key}, "invalid --addr"},
		{"issuer with query", server.Config{Issuer: "http://127.0.0.1:8080/?x=1", KeyEncryptionKey: key}, "no query"},
		{"no key", server.Config{}, "missing key-encryption key"},
		{"access tokens over an hour", func() server.Config {
			c := server.Config{KeyEncryptionKey: key}
			c.OAuth.AccessTokenTTL = 2 * time.Hour
			return c
		}(), "--access-token-ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestMaintenanceOnOneReplicaAtATime(t *testing.T) {
	store := openStore(t)
	held, err := store.AcquireLease(context.Background(), "maintenance", "another-replica",
		time.Now().Add(time.Hour), time.Now())
	if err != nil || !held {
		t.Fatalf("take the lease for another replica: got %v, %v", held, err)
	}
	now := time.Now().Truncate(time.Millisecond)
	if err := server.SeedDev(context.Background(), store, now); err != nil {
		t.Fatalf("seed: %v", err)
	}
	expired := consentry.AuthRequest{
		ID: "expired-request", SessionHash: tokens.Hash("s"), ClientID: server.DevClientID,
		RedirectURI: server.DevRedirectURIs[0], State: "s", Scopes: []string{consentry.ScopeAccountBasic},
		ProviderID: server.DevProviderID, Stage: consentry.StageSignIn,
		CreatedAt: now.Add(-3 * time.Hour), ExpiresAt: now.Add(-2 * time.Hour),
	}
	if err := store.CreateAuthRequest(context.Background(), expired); err != nil {
		t.Fatalf("create pending request: %v", err)
	}
	cfg := server.Config{
		Addr: freeAddr(t), KeyEncryptionKey: tokens.DevKeyEncryptionKey,
		GCInterval: 20 * time.Millisecond, GCKeep: time.Hour,
	}
	start(t, cfg, store)

	time.Sleep(300 * time.Millisecond)
	if _, err := store.GetAuthRequest(context.Background(), expired.ID); err != nil {
		t.Errorf("expired request collected while another replica holds the lease: %v", err)
	}
}
