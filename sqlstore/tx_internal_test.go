package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/consentry/consentry"
)

// txDriver is a database/sql driver whose connections only begin, commit
// and roll back, counting each, so that inTx can be tested without a
// database.
type txDriver struct {
	begins, commits, rollbacks atomic.Int64
}

func (d *txDriver) Open(string) (driver.Conn, error) { return txConn{d}, nil }

type txConn struct{ d *txDriver }

func (c txConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("txDriver runs no statements")
}
func (c txConn) Close() error { return nil }
func (c txConn) Begin() (driver.Tx, error) {
	c.d.begins.Add(1)
	return txConn{c.d}, nil
}
func (c txConn) Commit() error   { c.d.commits.Add(1); return nil }
func (c txConn) Rollback() error { c.d.rollbacks.Add(1); return nil }

// txConnector hands database/sql the driver without registering it by name.
type txConnector struct{ d *txDriver }

func (c txConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open("") }
func (c txConnector) Driver() driver.Driver                        { return c.d }

var errSerialization = errors.New("could not serialize access")

func TestInTxRetries(t *testing.T) {
	tests := []struct {
		name        string
		failures    int
		err         error
		wantRuns    int
		wantCommits int64
		wantErr     error
	}{
		{name: "success", failures: 0, wantRuns: 1, wantCommits: 1},
		{name: "two conflicts", failures: 2, err: errSerialization, wantRuns: 3, wantCommits: 1},
		{name: "conflicts beyond the bound", failures: maxAttempts, err: errSerialization,
			wantRuns: maxAttempts, wantErr: consentry.ErrUnavailable},
		{name: "other error not retried", failures: 3, err: consentry.ErrConflict,
			wantRuns: 1, wantErr: consentry.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &txDriver{}
			db := sql.OpenDB(txConnector{d})
			defer db.Close()
			s := New(db, Dialect{
				IsRetryable: func(err error) bool { return errors.Is(err, errSerialization) },
			})
			runs := 0
			err := s.wrap("test", s.inTx(context.Background(), func(conn) error {
				runs++
				if runs <= tc.failures {
					return tc.err
				}
				return nil
			}))
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Errorf("got error %v, want %v", err, tc.wantErr)
			}
			if runs != tc.wantRuns {
				t.Errorf("got %d runs, want %d", runs, tc.wantRuns)
			}
			if got := d.commits.Load(); got != tc.wantCommits {
				t.Errorf("got %d commits, want %d", got, tc.wantCommits)
			}
			if got, want := d.rollbacks.Load(), int64(runs)-tc.wantCommits; got != want {
				t.Errorf("got %d rollbacks, want %d", got, want)
			}
		})
	}
}

func TestInTxStopsRetryingOnCancel(t *testing.T) {
	d := &txDriver{}
	db := sql.OpenDB(txConnector{d})
	defer db.Close()
	s := New(db, Dialect{
		IsRetryable: func(err error) bool { return errors.Is(err, errSerialization) },
	})
	ctx, cancel := context.WithCancel(context.Background())
	runs := 0
	err := s.inTx(ctx, func(conn) error {
		runs++
		cancel()
		return errSerialization
	})
	if !errors.Is(err, errSerialization) {
		t.Errorf("got error %v, want %v", err, errSerialization)
	}
	if runs != 1 {
		t.Errorf("got %d runs after the context was cancelled, want 1", runs)
	}
}
