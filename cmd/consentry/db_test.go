package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/postgres/pgtest"
)

func TestSQLitePath(t *testing.T) {
	tests := []struct {
		name    string
		dsn     string
		want    string
		wantErr string
	}{
		{name: "file", dsn: "sqlite:/var/lib/consentry.db", want: "/var/lib/consentry.db"},
		{name: "relative file", dsn: "sqlite:consentry.db", want: "consentry.db"},
		{name: "memory", dsn: "sqlite::memory:", want: ":memory:"},
		{name: "empty", dsn: "", wantErr: "missing database: set --db or CONSENTRY_DB"},
		{name: "empty path", dsn: "sqlite:", wantErr: "path after sqlite: is empty"},
		{
			name:    "unknown form",
			dsn:     "mysql://admin:hunter2@db.internal/consentry",
			wantErr: "--db must be sqlite:PATH, sqlite::memory: or a postgres:// URL",
		},
		{name: "bare path", dsn: "/tmp/hunter2.db", wantErr: "--db must be sqlite:PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sqlitePath(tt.dsn)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("sqlitePath(%q): got error %v, want %q", tt.dsn, err, tt.want)
				}
				if got != tt.want {
					t.Errorf("sqlitePath(%q) = %q, want %q", tt.dsn, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("sqlitePath(%q) = %q, want error containing %q", tt.dsn, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %q, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the database address, want it left out", err)
			}
		})
	}
}

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestPostgresOpenErrors checks that PostgreSQL URLs reach the PostgreSQL
// backend and that no error or output shows the URL's password.
func TestPostgresOpenErrors(t *testing.T) {
	tests := []struct {
		name    string
		dsn     func(t *testing.T) string
		want    error
		wantMsg string
	}{
		{name: "postgres scheme unreachable",
			dsn: func(t *testing.T) string {
				return "postgres://admin:hunter2@" + closedAddr(t) + "/consentry"
			},
			want: consentry.ErrUnavailable, wantMsg: "connection refused"},
		{name: "postgresql scheme unreachable",
			dsn: func(t *testing.T) string {
				return "postgresql://admin:hunter2@" + closedAddr(t) + "/consentry"
			},
			want: consentry.ErrUnavailable, wantMsg: "connection refused"},
		{name: "malformed URL",
			dsn:     func(*testing.T) string { return "postgres://admin:hunter2@[::1/consentry" },
			wantMsg: "invalid connection URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := tt.dsn(t)
			r := execute(newRootCommandWithEnv(noEnv), "", "client", "list", "--db", dsn)
			if r.err == nil {
				t.Fatal("got nil error, want one")
			}
			if tt.want != nil && !errors.Is(r.err, tt.want) {
				t.Errorf("got error %v, want %v", r.err, tt.want)
			}
			if !strings.Contains(r.err.Error(), tt.wantMsg) {
				t.Errorf("got error %q, want it to contain %q", r.err, tt.wantMsg)
			}
			output := r.err.Error() + r.stdout + r.stderr
			if strings.Contains(output, "hunter2") {
				t.Errorf("output %q shows the database password", output)
			}
		})
	}
}

// TestCommandsOnPostgres runs commands against a PostgreSQL database: the
// first one applies the migrations, and later ones see its writes.
func TestCommandsOnPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	run := func(stdin string, args ...string) result {
		t.Helper()
		r := execute(newRootCommandWithEnv(noEnv), stdin, append(args, "--db", dsn)...)
		if r.err != nil {
			t.Fatalf("consentry %s: got error %v, want none (stderr %q)",
				strings.Join(args, " "), r.err, r.stderr)
		}
		return r
	}
	for range 2 {
		r := run("", "migrate")
		if want := "The database schema is up to date.\n"; r.stdout != want {
			t.Errorf("migrate printed %q, want %q", r.stdout, want)
		}
	}
	run("", "provider", "create", "--id", "1000", "--name", "Sandbox Bank",
		"--country", "CA", "--kind", "sandbox")
	run("secret\n", "sandbox-user", "create", "--provider", "1000", "--username", "alice",
		"--password-stdin")
	run("", "client", "create", "--name", "Recipient", "--redirect-uri",
		"https://app.example/callback", "--grant-type", "authorization_code",
		"--scope", "ACCOUNT_BASIC", "--provider", "1000", "--json")

	store, _, err := openStore(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer store.Close()
	clients, err := store.ListClients(context.Background())
	if err != nil {
		t.Fatalf("list clients: %v", err)
	}
	if len(clients) != 1 || clients[0].Name != "Recipient" {
		t.Errorf("got clients %+v, want the one created", clients)
	}
	r := run("", "provider", "list", "--json")
	var providers []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &providers); err != nil {
		t.Fatalf("decode provider list %q: %v", r.stdout, err)
	}
	if len(providers) != 1 {
		t.Errorf("got %d providers, want 1", len(providers))
	}
}
