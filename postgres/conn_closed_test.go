package postgres_test

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/consentry/consentry/postgres"
)

// TestConnClosedIsUnavailable checks the error that pgx returns when the
// connection dropped in the middle of an operation, as it does when the
// network to the database fails during a transaction. It must map to
// consentry.ErrUnavailable (503 with Retry-After), not to a server error.
func TestConnClosedIsUnavailable(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"bare", pgconn.ErrConnClosed},
		{"wrapped", fmt.Errorf("commit: %w", pgconn.ErrConnClosed)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !postgres.Dialect.IsUnavailable(tt.err) {
				t.Errorf("IsUnavailable(%v): got false, want true", tt.err)
			}
			if postgres.Dialect.IsRetryable(tt.err) {
				t.Errorf("IsRetryable(%v): got true, want false: the statement may have run", tt.err)
			}
		})
	}
}
