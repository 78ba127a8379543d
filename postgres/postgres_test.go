package postgres_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/postgres"
	"github.com/consentry/consentry/postgres/pgtest"
	"github.com/consentry/consentry/storetest"
)

// openMigrated opens the database at dsn, applies the migrations and closes
// the store when the test ends.
func openMigrated(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open: got error %v, want nil", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: got error %v, want nil", err)
	}
	return s
}

// TestStore runs the conformance suite with one schema per store, in one
// database created for the test.
func TestStore(t *testing.T) {
	database := pgtest.NewDatabase(t)
	storetest.Run(t, func(t *testing.T) consentry.Store {
		return openMigrated(t, pgtest.NewSchema(t, database))
	})
}

// TestStoreSerializable runs the suite again with every transaction at
// SERIALIZABLE isolation, where concurrent transactions fail with
// serialization errors that the store must retry instead of returning.
func TestStoreSerializable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite a second time")
	}
	database := pgtest.NewDatabase(t)
	storetest.Run(t, func(t *testing.T) consentry.Store {
		dsn := withParam(t, pgtest.NewSchema(t, database),
			"default_transaction_isolation", "serializable")
		return openMigrated(t, dsn)
	})
}

// withParam returns dsn with one more query parameter.
func withParam(t *testing.T, dsn, name, value string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse test URL: %v", err)
	}
	query := u.Query()
	query.Set(name, value)
	u.RawQuery = query.Encode()
	return u.String()
}

func TestMigrateTwice(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, pgtest.NewDatabase(t))
	before := countRows(t, s, "SELECT COUNT(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second migrate: got error %v, want nil", err)
	}
	after := countRows(t, s, "SELECT COUNT(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")
	if after != before {
		t.Errorf("got %d schema objects after a second migrate, want %d", after, before)
	}
	if got := countRows(t, s, "SELECT COUNT(*) FROM schema_migrations"); got != migrationCount(t) {
		t.Errorf("got %d recorded migrations, want %d", got, migrationCount(t))
	}
}

func countRows(t *testing.T, s *postgres.Store, query string) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: got error %v, want nil", query, err)
	}
	return n
}

// TestConcurrentMigrate starts several migrators on one empty database, as
// replicas starting together do. Without the advisory lock, concurrent
// CREATE TABLE statements fail with duplicate-object errors.
func TestConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	stores := make([]*postgres.Store, 6)
	for i := range stores {
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("open %d: got error %v, want nil", i, err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	errs := make(chan error, len(stores))
	start := make(chan struct{})
	for _, s := range stores {
		go func() {
			<-start
			errs <- s.Migrate(ctx)
		}()
	}
	close(start)
	for range stores {
		if err := <-errs; err != nil {
			t.Errorf("migrate: got error %v, want nil", err)
		}
	}
	if got := countRows(t, stores[0], "SELECT COUNT(*) FROM schema_migrations"); got != migrationCount(t) {
		t.Errorf("got %d recorded migrations, want %d", got, migrationCount(t))
	}
}

// TestMigrateWaitsForLock holds the migration lock in another session and
// checks that Migrate waits for it.
func TestMigrateWaitsForLock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	holder := openMigrated(t, dsn)
	migrator, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open: got error %v, want nil", err)
	}
	t.Cleanup(func() { migrator.Close() })

	tx, err := holder.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin: got error %v, want nil", err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(postgres.Dialect.MigrationLock); err != nil {
		t.Fatalf("take the migration lock: got error %v, want nil", err)
	}
	done := make(chan error, 1)
	go func() { done <- migrator.Migrate(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("migrate returned %v while another session held the lock, want it to wait", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("release the lock: got error %v, want nil", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("migrate after the lock was released: got error %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("migrate still waits 10 s after the lock was released")
	}
}

// closedPort returns a loopback address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestOpenErrors checks the errors of Open and that none of them shows the
// password of the URL.
func TestOpenErrors(t *testing.T) {
	const password = "hunter2secret"
	tests := []struct {
		name    string
		dsn     func(t *testing.T) string
		want    error
		wantMsg string
	}{
		{name: "malformed URL",
			dsn:     func(*testing.T) string { return "postgres://admin:" + password + "@[::1/consentry" },
			wantMsg: "invalid connection URL"},
		{name: "invalid option value",
			dsn: func(*testing.T) string {
				return "postgres://admin:" + password + "@127.0.0.1/consentry?connect_timeout=soon"
			},
			wantMsg: "invalid connection URL"},
		{name: "invalid pool size",
			dsn: func(*testing.T) string {
				return "postgres://admin:" + password + "@127.0.0.1/consentry?pool_max_conns=0"
			},
			wantMsg: "invalid pool_max_conns"},
		{name: "nothing listening",
			dsn: func(t *testing.T) string {
				return "postgres://admin:" + password + "@" + closedPort(t) + "/consentry"
			},
			want: consentry.ErrUnavailable, wantMsg: "connection refused"},
		{name: "unknown database",
			dsn: func(t *testing.T) string {
				u, _ := url.Parse(pgtest.ServerURL(t))
				u.Path = "/consentry_test_missing_database"
				u.User = url.UserPassword(u.User.Username(), password)
				return u.String()
			},
			want: consentry.ErrUnavailable, wantMsg: "does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dsn := tc.dsn(t)
			s, err := postgres.Open(context.Background(), dsn)
			if err == nil {
				s.Close()
				t.Fatal("got nil error, want one")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("got error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("got error %q, want it to contain %q", err, tc.wantMsg)
			}
			if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), dsn) {
				t.Errorf("error %q shows the connection URL or its password", err)
			}
		})
	}
}

// TestOpenConnectTimeout points Open at a listener that accepts but never
// responds, and checks that connect_timeout bounds the wait.
func TestOpenConnectTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	_, err = postgres.Open(context.Background(),
		"postgres://admin@"+l.Addr().String()+"/consentry?connect_timeout=1")
	if !errors.Is(err, consentry.ErrUnavailable) {
		t.Errorf("got error %v, want %v", err, consentry.ErrUnavailable)
	}
	if waited := time.Since(start); waited > 3*time.Second {
		t.Errorf("open returned after %v, want about 1 s", waited)
	}
}

// migrationCount returns how many migration files the package embeds.
func migrationCount(t *testing.T) int {
	t.Helper()
	files, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatalf("read migrations: %v", err)
	}
	return len(files)
}
