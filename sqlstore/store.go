// Package sqlstore implements consentry.Store over database/sql, once for every
// SQL backend. A backend package opens the database, applies its own schema
// (the column types differ between SQLite and PostgreSQL) and passes a Dialect
// to New.
//
// Every rule that must hold across server replicas is decided by the database.
// A conditional UPDATE and its row count make codes single-use and give each
// refresh token one winner. A partial unique index allows one active
// connection per client, provider and user. INSERT ... ON CONFLICT settles
// concurrent first writes.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/consentry/consentry"
)

// Store implements consentry.Store on a *sql.DB.
type Store struct {
	db      *sql.DB
	dialect Dialect
}

var _ consentry.Store = (*Store)(nil)

// New returns a Store that runs its queries on db. The schema must exist.
func New(db *sql.DB, d Dialect) *Store {
	return &Store{db: db, dialect: d}
}

// DB returns the database handle, for backend packages that manage the schema.
func (s *Store) DB() *sql.DB {
	return s.db
}

// Ping checks that the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	return s.wrap("ping", s.db.PingContext(ctx))
}

// Close closes the database handle.
func (s *Store) Close() error {
	return s.db.Close()
}

// querier is the query interface that *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries written with ? placeholders on a database or a
// transaction, rebinding them for the dialect.
type conn struct {
	q querier
	d Dialect
	// tx is set on the conn of a transaction. Its statements are not retried
	// one by one, because the database rolled back the whole transaction.
	tx bool
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := c.retry(ctx, func() error {
		var err error
		res, err = c.q.ExecContext(ctx, c.d.Rebind(query), args...)
		return err
	})
	return res, err
}

// execCount runs a statement and returns how many rows it changed.
func (c conn) execCount(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// query runs a query that returns rows. It is not retried, because only
// read-only listings use it.
func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.d.Rebind(query), args...)
}

// queryRow returns a row that runs query when it is scanned.
func (c conn) queryRow(ctx context.Context, query string, args ...any) row {
	return row{c: c, ctx: ctx, query: query, args: args}
}

// row is a query that returns at most one row. Running it in Scan lets a
// statement outside a transaction be retried with its scan.
type row struct {
	c     conn
	ctx   context.Context
	query string
	args  []any
}

// Scan runs the query and copies the first row into dest, like
// (*sql.Row).Scan.
func (r row) Scan(dest ...any) error {
	return r.c.retry(r.ctx, func() error {
		return r.c.q.QueryRowContext(r.ctx, r.c.d.Rebind(r.query), r.args...).Scan(dest...)
	})
}

// retry runs fn, one statement, and outside a transaction runs it again
// while the dialect reports a retryable error. PostgreSQL runs a statement
// outside a transaction in a transaction of its own, which it rolled back
// with that error, so running the statement again is safe.
func (c conn) retry(ctx context.Context, fn func() error) error {
	if c.tx {
		return fn()
	}
	return retry(ctx, c.d, fn)
}

// exists reports whether query returns a row.
func (c conn) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := c.queryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// conn returns a conn outside any transaction.
func (s *Store) conn() conn {
	return conn{q: s.db, d: s.dialect}
}

// inTx runs fn in a transaction, committing when fn returns nil. The SQLite
// backend opens its transactions with BEGIN IMMEDIATE, so a transaction that
// writes holds the write lock from its first statement.
//
// When the dialect reports that the database rolled the transaction back as
// a serialization failure or a deadlock victim (PostgreSQL), nothing of it
// was stored, so inTx runs it again from the start, within the bounds of
// retry. fn must therefore set any variable that it shares with its caller
// on every run.
func (s *Store) inTx(ctx context.Context, fn func(c conn) error) error {
	return retry(ctx, s.dialect, func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(conn{q: tx, d: s.dialect, tx: true}); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

// wrap adds the operation to err and maps database errors to the errors of
// consentry.Store. Driver messages of other errors are kept for diagnosis:
// SQLite and PostgreSQL messages name tables and constraints, not query text.
func (s *Store) wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, consentry.ErrNotFound),
		errors.Is(err, consentry.ErrConflict),
		errors.Is(err, consentry.ErrUnavailable),
		errors.Is(err, consentry.ErrKeyRevoked):
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	case errors.Is(err, sql.ErrNoRows), s.dialect.isForeignKeyViolation(err):
		return fmt.Errorf("sqlstore: %s: %w", op, consentry.ErrNotFound)
	case s.dialect.isUniqueViolation(err):
		return fmt.Errorf("sqlstore: %s: %w", op, consentry.ErrConflict)
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, context.DeadlineExceeded), s.dialect.isUnavailable(err):
		return fmt.Errorf("sqlstore: %s: %w", op, consentry.ErrUnavailable)
	case s.dialect.isRetryable(err):
		// retry ran out of attempts: the database keeps rolling back
		// conflicting writes, and the client may try again later.
		return fmt.Errorf("sqlstore: %s: conflicting concurrent transactions: %w",
			op, consentry.ErrUnavailable)
	default:
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	}
}

// conflictOrMissing explains why a conditional statement changed no row:
// consentry.ErrConflict when the row that query looks up exists, so a
// condition failed, and consentry.ErrNotFound when it does not.
func conflictOrMissing(ctx context.Context, c conn, query string, args ...any) error {
	found, err := c.exists(ctx, query, args...)
	switch {
	case err != nil:
		return err
	case found:
		return consentry.ErrConflict
	default:
		return consentry.ErrNotFound
	}
}
