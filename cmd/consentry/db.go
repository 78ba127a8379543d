package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/postgres"
	"github.com/consentry/consentry/sqlite"
)

// dsnForms names the accepted --db values in error messages.
const dsnForms = "sqlite:PATH, sqlite::memory: or a postgres:// URL"

// isPostgresURL reports whether dsn names a PostgreSQL database.
func isPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// sqlitePath returns the file path (or ":memory:") of a sqlite: database. It
// rejects anything else. Its errors never contain the value, because a
// postgres:// URL may contain a password.
func sqlitePath(dsn string) (string, error) {
	switch {
	case dsn == "":
		return "", fmt.Errorf("missing database: set --db or CONSENTRY_DB to %s", dsnForms)
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return "", errors.New("invalid sqlite database: the path after sqlite: is empty; " +
				"use sqlite:PATH or sqlite::memory:")
		}
		return path, nil
	default:
		return "", fmt.Errorf("invalid database: --db must be %s", dsnForms)
	}
}

// openStore opens the database named by dsn: a PostgreSQL database for a
// postgres:// or postgresql:// URL, else a SQLite file. The returned migrate
// function applies pending schema migrations. The caller closes the store.
// No error contains dsn, which may hold a password: the postgres package
// leaves the URL out of its errors too.
func openStore(ctx context.Context, dsn string) (consentry.Store, func(context.Context) error, error) {
	if isPostgresURL(dsn) {
		store, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, nil, fmt.Errorf("open database: %w", err)
		}
		return store, store.Migrate, nil
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, nil, err
	}
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	return store, store.Migrate, nil
}

// withStore opens the database of g, applies pending migrations so that a new
// database works at once, runs fn and closes the store.
func (g *globalOptions) withStore(ctx context.Context, fn func(consentry.Store) error) (err error) {
	store, migrate, err := openStore(ctx, g.DB)
	if err != nil {
		return err
	}
	defer func() {
		if closeErr := store.Close(); closeErr != nil {
			err = errors.Join(err, fmt.Errorf("close database: %w", closeErr))
		}
	}()
	if err := migrate(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return fn(store)
}
