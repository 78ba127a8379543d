package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/postgres"
	"github.com/consentry/consentry/postgres/pgtest"
)

func TestDialectErrors(t *testing.T) {
	pgError := func(code string) error {
		return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code, Message: "test"})
	}
	d := postgres.Dialect
	tests := []struct {
		name                                       string
		err                                        error
		unique, foreignKey, unavailable, retryable bool
	}{
		{name: "unique violation", err: pgError("23505"), unique: true},
		{name: "foreign key violation", err: pgError("23503"), foreignKey: true},
		{name: "serialization failure", err: pgError("40001"), retryable: true},
		{name: "deadlock", err: pgError("40P01"), retryable: true},
		{name: "connection failure", err: pgError("08006"), unavailable: true},
		{name: "cannot connect", err: pgError("08001"), unavailable: true},
		{name: "admin shutdown", err: pgError("57P01"), unavailable: true},
		{name: "crash shutdown", err: pgError("57P02"), unavailable: true},
		{name: "starting up", err: pgError("57P03"), unavailable: true},
		{name: "too many connections", err: pgError("53300"), unavailable: true},
		{name: "statement timeout", err: pgError("57014"), unavailable: true},
		{name: "connect error", unavailable: true,
			err: fmt.Errorf("ping: %w", &pgconn.ConnectError{})},
		{name: "connection refused", unavailable: true,
			err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect",
				syscall.ECONNREFUSED)}},
		{name: "connection closed", err: fmt.Errorf("receive: %w", io.ErrUnexpectedEOF),
			unavailable: true},
		{name: "syntax error", err: pgError("42601")},
		{name: "check violation", err: pgError("23514")},
		{name: "plain error", err: errors.New("something else")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checks := []struct {
				name string
				got  bool
				want bool
			}{
				{"IsUniqueViolation", d.IsUniqueViolation(tc.err), tc.unique},
				{"IsForeignKeyViolation", d.IsForeignKeyViolation(tc.err), tc.foreignKey},
				{"IsUnavailable", d.IsUnavailable(tc.err), tc.unavailable},
				{"IsRetryable", d.IsRetryable(tc.err), tc.retryable},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s(%v): got %v, want %v", c.name, tc.err, c.got, c.want)
				}
			}
		})
	}
}

// TestRecoversAfterTerminatedConnections ends every server process of the
// store's connections, as a database restart does, and checks that the
// store reconnects by itself. A connection used less than a second before is
// not pinged when it is taken from the pool, so the first call on it may
// fail, but only with consentry.ErrUnavailable.
func TestRecoversAfterTerminatedConnections(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	s := openMigrated(t, dsn)
	admin, err := sql.Open("pgx", pgtest.ServerURL(t))
	if err != nil {
		t.Fatalf("open admin connection: %v", err)
	}
	defer admin.Close()
	terminate := func() {
		t.Helper()
		var terminated int
		err := admin.QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = $1`, databaseName(t, dsn)).Scan(&terminated)
		if err != nil {
			t.Fatalf("terminate connections: %v", err)
		}
		if terminated == 0 {
			t.Fatal("terminated no connection, want the store's")
		}
	}

	t.Run("idle connections", func(t *testing.T) {
		if _, err := s.ListClients(ctx); err != nil {
			t.Fatalf("list clients: got error %v, want nil", err)
		}
		terminate()
		time.Sleep(1100 * time.Millisecond)
		for i := range 3 {
			if _, err := s.ListClients(ctx); err != nil {
				t.Errorf("list clients %d after the restart: got error %v, want nil", i, err)
			}
		}
	})
	t.Run("busy connections", func(t *testing.T) {
		if _, err := s.ListClients(ctx); err != nil {
			t.Fatalf("list clients: got error %v, want nil", err)
		}
		terminate()
		var last error
		for i := range 3 {
			last = s.Ping(ctx)
			if last != nil && !errors.Is(last, consentry.ErrUnavailable) {
				t.Errorf("ping %d after the restart: got error %v, want nil or %v",
					i, last, consentry.ErrUnavailable)
			}
		}
		if last != nil {
			t.Errorf("third ping after the restart: got error %v, want nil", last)
		}
	})
}

// TestDeadlockRetried builds a deadlock between RevokeConnection and
// another session, makes the store's transaction the victim, and checks
// that the store runs it again and succeeds.
func TestDeadlockRetried(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, pgtest.NewDatabase(t))
	seedConnection(t, s)

	other, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatalf("open a second session: %v", err)
	}
	defer other.Close()
	// The second session waits 30 s before it looks for deadlocks, so the
	// store's session, at the default of 1 s, finds it and is the victim.
	if _, err := other.ExecContext(ctx, "SET deadlock_timeout = '30s'"); err != nil {
		t.Skipf("cannot raise deadlock_timeout (needs a superuser): %v", err)
	}
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer tx.Rollback()
	// The second session locks the refresh token first.
	if _, err := tx.Exec(`UPDATE refresh_tokens SET scopes = scopes`); err != nil {
		t.Fatalf("lock the refresh token: %v", err)
	}

	done := make(chan error, 1)
	go func() { done <- s.RevokeConnection(ctx, "conn-1", time.Now()) }()
	// RevokeConnection locks the connection, then waits for the token.
	waitForLockWait(t, s)
	// Locking the connection now closes the cycle.
	if _, err := tx.Exec(`UPDATE connections SET updated_at = updated_at`); err != nil {
		t.Fatalf("second session: got error %v, want the store to be the deadlock victim", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit the second session: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("revoke connection: got error %v, want nil after a retry", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("revoke connection still waits after 20 s")
	}
	c, err := s.GetConnection(ctx, "conn-1")
	if err != nil {
		t.Fatalf("get connection: %v", err)
	}
	if c.RevokedAt == nil {
		t.Error("got an active connection, want it revoked")
	}
}

// seedConnection stores a client, a provider, a connection conn-1 and one
// refresh token of it.
func seedConnection(t *testing.T, s *postgres.Store) {
	t.Helper()
	statements := []string{
		`INSERT INTO providers (id, name, country, kind, scopes, disabled, created_at)
			VALUES ('1000', 'Bank', 'CA', 'sandbox', '[]', false, 0)`,
		`INSERT INTO clients (id, name, auth_methods, redirect_uris, grant_types, scopes,
			require_pkce, created_at) VALUES ('client-a', 'A', '[]', '[]', '[]', '[]', false, 0)`,
		`INSERT INTO connections (id, client_id, provider_id, user_id, subject, scopes,
			grant_id, created_at, updated_at)
			VALUES ('conn-1', 'client-a', '1000', 'alice', 'sub', '[]', 'grant-1', 0, 0)`,
		`INSERT INTO refresh_tokens (hash, connection_id, client_id, grant_id, scopes,
			access_token_id, created_at, expires_at)
			VALUES ('\x01', 'conn-1', 'client-a', 'grant-1', '[]', 'at-1', 0, 1)`,
	}
	for _, statement := range statements {
		if _, err := s.DB().Exec(statement); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
}

// waitForLockWait waits until a session of the store's database waits for a
// row lock.
func waitForLockWait(t *testing.T, s *postgres.Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var waiting int
		err := s.DB().QueryRow(`SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		if err != nil {
			t.Fatalf("read pg_stat_activity: %v", err)
		}
		if waiting > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no session waits for a lock after 10 s")
}

// databaseName returns the database name of a test URL.
func databaseName(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parse test URL: %v", err)
	}
	return cfg.Database
}
