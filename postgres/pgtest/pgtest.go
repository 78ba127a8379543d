// Package pgtest gives tests throwaway PostgreSQL databases on the server
// named by the CONSENTRY_TEST_POSTGRES environment variable, and skips them
// when it is not set.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// EnvVar names the environment variable that holds the URL of a PostgreSQL
// server and a database on it that the tests may connect to, such as
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. The user
// must be allowed to create databases.
const EnvVar = "CONSENTRY_TEST_POSTGRES"

// ServerURL returns the URL in EnvVar, or skips the test when it is unset.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(EnvVar)
	if dsn == "" {
		tb.Skipf("%s is not set; set it to a PostgreSQL URL to run this test", EnvVar)
	}
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		tb.Fatalf("%s must be a postgres:// URL", EnvVar)
	}
	return dsn
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error
	// sequence and runID make database names unique within a run and
	// across runs and processes that share the server.
	sequence atomic.Int64
	runID    = newRunID()
)

func newRunID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// adminDB returns a connection pool to the database of EnvVar, opened once
// per test binary.
func adminDB(tb testing.TB, serverURL string) *sql.DB {
	tb.Helper()
	adminOnce.Do(func() {
		cfg, err := pgx.ParseConfig(serverURL)
		if err != nil {
			adminErr = fmt.Errorf("invalid %s", EnvVar)
			return
		}
		admin = stdlib.OpenDB(*cfg)
		admin.SetMaxOpenConns(4)
	})
	if adminErr != nil {
		tb.Fatal(adminErr)
	}
	return admin
}

// NewDatabase creates an empty database with a unique name and returns its
// URL: the URL of EnvVar with the database name replaced. The database is
// dropped, with any connection still open to it, when the test ends. The
// test is skipped when EnvVar is unset.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	serverURL := ServerURL(tb)
	db := adminDB(tb, serverURL)
	name := fmt.Sprintf("consentry_test_%s_%d_%d", runID, os.Getpid(), sequence.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(serverURL)
	if err != nil {
		tb.Fatalf("invalid %s", EnvVar)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// NewSchema creates an empty schema with a unique name in the database at
// databaseURL and returns that URL with search_path set to the schema, so
// that tables created through it land in the schema. The schema is dropped
// when the test ends. Creating a schema takes milliseconds where creating a
// database takes a large fraction of a second.
func NewSchema(tb testing.TB, databaseURL string) string {
	tb.Helper()
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		tb.Fatalf("invalid database URL")
	}
	name := fmt.Sprintf("store_%d", sequence.Add(1))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		tb.Fatalf("connect to the test database: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		tb.Fatalf("create schema %s: %v", name, err)
	}

	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			tb.Errorf("connect to the test database: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})

	u, err := url.Parse(databaseURL)
	if err != nil {
		tb.Fatalf("invalid database URL")
	}
	query := u.Query()
	query.Set("search_path", name)
	u.RawQuery = query.Encode()
	return u.String()
}
