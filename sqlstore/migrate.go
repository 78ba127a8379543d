package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// Migrate applies the *.sql files at the root of files, in name order, that
// the schema_migrations table does not list yet. Each file runs in its own
// transaction together with the row that records it, so a failed migration
// leaves nothing behind and running Migrate again is a no-op. A file may hold
// several statements; the driver must accept them in one Exec (the SQLite
// driver and pgx without arguments do).
func Migrate(ctx context.Context, db *sql.DB, d Dialect, files fs.FS) error {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	slices.Sort(names)
	s := New(db, d)
	for _, name := range names {
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return fmt.Errorf("sqlstore: migrate: %w", err)
		}
		version := strings.TrimSuffix(name, ".sql")
		err = s.inTx(ctx, func(tx conn) error {
			return applyMigration(ctx, tx, version, string(body))
		})
		if err != nil {
			return s.wrap("migrate "+version, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, tx conn, version, body string) error {
	if tx.d.MigrationLock != "" {
		if _, err := tx.exec(ctx, tx.d.MigrationLock); err != nil {
			return err
		}
	}
	_, err := tx.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version TEXT PRIMARY KEY,
		applied_at BIGINT NOT NULL)`)
	if err != nil {
		return err
	}
	applied, err := tx.exists(ctx, `SELECT 1 FROM schema_migrations WHERE version = ?`, version)
	if err != nil || applied {
		return err
	}
	// The body is run as written: rebinding could change a ? inside it.
	if _, err := tx.q.ExecContext(ctx, body); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		version, time.Now().UnixMilli())
	return err
}
