// Package postgres is the storage backend for several server replicas: one
// PostgreSQL database (version 15 or newer) that every replica shares, through
// the pgx driver. The queries live in package sqlstore; this package holds
// the schema, the connection settings and the mapping of PostgreSQL errors.
//
// The store sets no isolation level. The rules that must hold across
// replicas rest on row locks taken by conditional UPDATE and INSERT ... ON
// CONFLICT statements. At READ COMMITTED, PostgreSQL's default, a statement
// that waited for a lock checks its condition again on the newest committed
// row. At the stricter levels it fails with a serialization error instead,
// which package sqlstore retries.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Connection settings that the connection URL may override.
const (
	// DefaultConnectTimeout bounds how long opening one connection may take
	// when the URL has no connect_timeout, so that requests fail within
	// seconds instead of hanging while the database is unreachable.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultMaxConns is the size of the connection pool when the URL has no
	// pool_max_conns. Three replicas at this size stay well under
	// PostgreSQL's default max_connections of 100.
	DefaultMaxConns = 10
)

const (
	// maxConnIdleTime closes connections left idle this long, so that a
	// pool that grew under load shrinks again.
	maxConnIdleTime = 5 * time.Minute
	// maxConnLifetime replaces every connection after this long, so that
	// the pool follows a database that moved behind its DNS name.
	maxConnLifetime = time.Hour
)

// keepAlive makes the kernel probe a connection after 15 s of silence and
// close it after three unanswered probes 5 s apart. A database host that
// vanished without closing its connections is then noticed in about 30 s,
// where Go's default (nine probes 15 s apart) takes 150 s.
var keepAlive = net.KeepAliveConfig{
	Enable:   true,
	Idle:     15 * time.Second,
	Interval: 5 * time.Second,
	Count:    3,
}

// Store is a consentry.Store on a PostgreSQL database.
type Store struct {
	*sqlstore.Store
}

// Open connects to the PostgreSQL database at dsn, a postgres:// or
// postgresql:// URL or a keyword/value string as libpq accepts, and checks
// that it responds. It does not apply migrations: call Migrate.
//
// Besides the libpq settings, the URL may set pool_max_conns, the maximum
// number of open connections (default DefaultMaxConns). A connect_timeout
// that is missing or 0 (which libpq reads as no limit) becomes
// DefaultConnectTimeout. Errors never contain dsn, because it may hold a
// password.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, maxConns, err := parseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	// Idle connections up to the pool size stay open, so that a busy server
	// does not reconnect between requests.
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(maxConnIdleTime)
	db.SetConnMaxLifetime(maxConnLifetime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, openError(err)
	}
	return &Store{Store: sqlstore.New(db, Dialect)}, nil
}

// parseDSN returns the driver configuration of dsn and the pool size. Its
// errors leave dsn out: the driver's parse errors quote the string, and
// its best-effort redaction of passwords can miss one in a malformed URL.
func parseDSN(dsn string) (*pgx.ConnConfig, int, error) {
	if dsn == "" {
		return nil, 0, errors.New("empty connection URL")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, 0, errors.New("invalid connection URL: use " +
			"postgres://USER@HOST:PORT/DATABASE?OPTIONS with valid option values")
	}
	maxConns := DefaultMaxConns
	// The driver would send pool_max_conns, which it does not know, to the
	// server as a session setting, and the server would reject it.
	if text, ok := cfg.RuntimeParams["pool_max_conns"]; ok {
		delete(cfg.RuntimeParams, "pool_max_conns")
		maxConns, err = strconv.Atoi(text)
		if err != nil || maxConns < 1 {
			return nil, 0, errors.New("invalid pool_max_conns in the connection URL: " +
				"use a positive integer")
		}
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAliveConfig: keepAlive}
	cfg.DialFunc = dialer.DialContext
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "consentry"
	}
	return cfg, maxConns, nil
}

// openError explains why the first connection failed without the
// connection settings. A database that cannot be reached, refuses the
// login or does not exist is consentry.ErrUnavailable, like any connection
// failure after Open.
func openError(err error) error {
	reason := describe(err)
	if isUnavailable(err) {
		return fmt.Errorf("postgres: open: %s: %w", reason, consentry.ErrUnavailable)
	}
	return fmt.Errorf("postgres: open: %s", reason)
}

// Migrate applies the schema migrations that the database lacks. Running it
// again, or from several processes at once, is a no-op: every migration
// transaction first takes the advisory lock of Dialect.MigrationLock, so
// concurrent migrators apply each migration once, one after the other.
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
