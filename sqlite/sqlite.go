// Package sqlite is the embedded storage backend: one SQLite database file, or
// an in-memory database for tests, through the pure-Go driver
// modernc.org/sqlite. The queries live in package sqlstore; this package holds
// the schema and the connection settings.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MemoryPath opens a private in-memory database that lives as long as the
// Store.
const MemoryPath = ":memory:"

// connectionSettings apply to every connection of the pool. WAL lets readers
// and one writer work at once, also across processes. A writer that finds
// the file locked waits up to busy_timeout (5 s) before it fails with
// SQLITE_BUSY. BEGIN IMMEDIATE takes the write lock when a transaction
// starts: a deferred transaction that reads and then writes can fail with
// SQLITE_BUSY at once, without waiting, when another connection wrote in
// between.
const connectionSettings = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)&_txlock=immediate"

// Store is a consentry.Store on a SQLite database.
type Store struct {
	*sqlstore.Store
}

// Dialect is the sqlstore dialect of SQLite: ? placeholders and SQLite result
// codes.
var Dialect = sqlstore.Dialect{
	IsUniqueViolation:     isUniqueViolation,
	IsForeignKeyViolation: isForeignKeyViolation,
	IsUnavailable:         isUnavailable,
}

// Open opens the SQLite database at path, a file path or MemoryPath, creating
// the file if it does not exist. It does not apply migrations: call Migrate.
// Several processes may open the same file; their writes take turns.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty database path")
	}
	if path != MemoryPath {
		// The store reports an unreachable database without the driver's
		// text, so the usual operator mistake is named here instead.
		if _, err := os.Stat(filepath.Dir(path)); err != nil {
			return nil, fmt.Errorf("sqlite: open: %w: the database folder is not usable: %w",
				consentry.ErrUnavailable, err)
		}
	}
	db, err := sql.Open("sqlite", dataSourceName(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if path == MemoryPath {
		// Every connection to :memory: has a database of its own, so the
		// pool keeps exactly one, open for the life of the Store.
		db.SetMaxOpenConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
	}
	s := &Store{Store: sqlstore.New(db, Dialect)}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	return s, nil
}

// dataSourceName returns the driver's name for path with the connection
// settings. A file path becomes a file: URI, so that a ? or # in it stays
// part of the name.
func dataSourceName(path string) string {
	if path == MemoryPath {
		return MemoryPath + "?" + connectionSettings
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + connectionSettings
}

// Migrate applies the schema migrations that the database lacks. Running it
// again, or from several processes at once, is a no-op.
func (s *Store) Migrate(ctx context.Context) error {
	return sqlstore.Migrate(ctx, s.DB(), Dialect, migrationFiles())
}

func migrationFiles() fs.FS {
	files, err := fs.Sub(migrations, "migrations")
	if err != nil {
		// fs.Sub fails only for an invalid directory name.
		panic(err)
	}
	return files
}

// resultCode returns the extended SQLite result code of err, or 0.
func resultCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUniqueViolation(err error) bool {
	code := resultCode(err)
	return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKeyViolation(err error) bool {
	return resultCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// isUnavailable reports errors after which a later attempt may succeed: the
// file locked beyond busy_timeout, impossible to open, unreadable, or on a full
// disk.
func isUnavailable(err error) bool {
	switch resultCode(err) & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
		return true
	}
	return false
}
