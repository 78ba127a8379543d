package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/sqlite"
	"github.com/consentry/consentry/storetest"
)

// openMigrated opens the database at path, applies the migrations and closes
// it when the test ends.
func openMigrated(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("open: got error %v, want nil", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: got error %v, want nil", err)
	}
	return s
}

func TestStoreInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) consentry.Store {
		return openMigrated(t, sqlite.MemoryPath)
	})
}

func TestStoreFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) consentry.Store {
		return openMigrated(t, filepath.Join(t.TempDir(), "consentry.db"))
	})
}

func TestConnectionSettings(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		pragma string
		want   string
	}{
		{"file journal", "file", "journal_mode", "wal"},
		{"file foreign keys", "file", "foreign_keys", "1"},
		{"file busy timeout", "file", "busy_timeout", "5000"},
		{"memory foreign keys", sqlite.MemoryPath, "foreign_keys", "1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "file" {
				path = filepath.Join(t.TempDir(), "settings.db")
			}
			s := openMigrated(t, path)
			var got string
			if err := s.DB().QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: got error %v, want nil", tc.pragma, err)
			}
			if got != tc.want {
				t.Errorf("got %s %q, want %q", tc.pragma, got, tc.want)
			}
		})
	}
}

func TestMigrateTwice(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, filepath.Join(t.TempDir(), "consentry.db"))
	before := schemaObjects(t, s)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second migrate: got error %v, want nil", err)
	}
	if after := schemaObjects(t, s); after != before {
		t.Errorf("got %d schema objects after a second migrate, want %d", after, before)
	}
	var versions int
	if err := s.DB().QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&versions); err != nil {
		t.Fatalf("count migrations: got error %v, want nil", err)
	}
	if versions != migrationCount(t) {
		t.Errorf("got %d recorded migrations, want %d", versions, migrationCount(t))
	}
}

func schemaObjects(t *testing.T, s *sqlite.Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow("SELECT COUNT(*) FROM sqlite_master").Scan(&n); err != nil {
		t.Fatalf("count schema objects: got error %v, want nil", err)
	}
	return n
}

func TestConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "consentry.db")
	stores := make([]*sqlite.Store, 4)
	for i := range stores {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatalf("open %d: got error %v, want nil", i, err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	errs := make(chan error, len(stores))
	for _, s := range stores {
		go func() { errs <- s.Migrate(ctx) }()
	}
	for range stores {
		if err := <-errs; err != nil {
			t.Errorf("migrate: got error %v, want nil", err)
		}
	}
}

// TestSecondProcessWrites opens one file twice, as the CLI does while a
// server runs, and checks that each handle reads the other's writes and that a
// write waits for the other handle's write transaction instead of failing.
func TestSecondProcessWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "consentry.db")
	server := openMigrated(t, path)
	cli := openMigrated(t, path)

	provider := consentry.Provider{ID: "1000", Name: "Sandbox Bank", Country: "CA",
		Kind: consentry.ProviderSandbox, CreatedAt: time.Now()}
	if err := server.CreateProvider(ctx, provider); err != nil {
		t.Fatalf("server create provider: got error %v, want nil", err)
	}
	client := consentry.Client{ID: "demo", Name: "Demo", Providers: []string{"1000"},
		CreatedAt: time.Now()}
	if err := cli.CreateClient(ctx, client); err != nil {
		t.Fatalf("cli create client: got error %v, want nil", err)
	}
	if _, err := server.GetClient(ctx, "demo"); err != nil {
		t.Errorf("server get client: got error %v, want nil", err)
	}

	// The server holds the write lock for a moment; the CLI's write waits.
	tx, err := server.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin: got error %v, want nil", err)
	}
	if _, err := tx.Exec("INSERT INTO secrets (name, value) VALUES ('held', x'00')"); err != nil {
		t.Fatalf("insert in held transaction: got error %v, want nil", err)
	}
	released := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		released <- tx.Commit()
	}()
	start := time.Now()
	if err := cli.RevokeSigningKey(ctx, "none", time.Now()); !errors.Is(err, consentry.ErrNotFound) {
		t.Errorf("cli write during the server's transaction: got error %v, want %v",
			err, consentry.ErrNotFound)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("cli write returned after %v, want it to wait for the lock", waited)
	}
	if err := <-released; err != nil {
		t.Errorf("commit: got error %v, want nil", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "consentry.db")
	_, err := sqlite.Open(context.Background(), path)
	if !errors.Is(err, consentry.ErrUnavailable) {
		t.Errorf("got error %v, want %v", err, consentry.ErrUnavailable)
	}
}

func TestOpenUnusualPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "odd ?name#50%.db")
	openMigrated(t, path)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("stat %q: got error %v, want the file created under that name", path, err)
	}
}

// TestBusyBeyondTimeout checks that a write blocked for longer than the busy
// timeout reports consentry.ErrUnavailable.
func TestBusyBeyondTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the 5 s busy timeout")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "consentry.db")
	holder := openMigrated(t, path)
	waiter := openMigrated(t, path)
	tx, err := holder.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin: got error %v, want nil", err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("INSERT INTO secrets (name, value) VALUES ('held', x'00')"); err != nil {
		t.Fatalf("insert in held transaction: got error %v, want nil", err)
	}
	_, err = waiter.EnsureSecret(ctx, "other", []byte("value"))
	if !errors.Is(err, consentry.ErrUnavailable) {
		t.Errorf("got error %v, want %v", err, consentry.ErrUnavailable)
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
