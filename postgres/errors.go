package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/consentry/consentry/sqlstore"
)

// migrationLockKey is the advisory lock that serialises migrations: the
// bytes of "consentr" as a bigint. Advisory locks are scoped to the current
// database, so databases on one server do not wait for each other.
const migrationLockKey = 0x636f6e73656e7472

// Dialect is the sqlstore dialect of PostgreSQL: $n placeholders, SQLSTATE
// codes, and an advisory lock around each migration.
var Dialect = sqlstore.Dialect{
	NumberedPlaceholders:  true,
	IsUniqueViolation:     isUniqueViolation,
	IsForeignKeyViolation: isForeignKeyViolation,
	IsUnavailable:         isUnavailable,
	IsRetryable:           isRetryable,
	// The transaction-level lock is released by the commit or rollback of
	// the migration transaction, also when the connection drops.
	MigrationLock: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLockKey),
}

// SQLSTATE codes of PostgreSQL 15, Appendix A of its manual.
const (
	uniqueViolation      = "23505"
	foreignKeyViolation  = "23503"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	tooManyConnections   = "53300"
	queryCanceled        = "57014"
	adminShutdown        = "57P01"
	crashShutdown        = "57P02"
	cannotConnectNow     = "57P03"
	// connectionException is the class of codes 08xxx.
	connectionException = "08"
)

// sqlState returns the SQLSTATE code of a server error, or "".
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func isUniqueViolation(err error) bool {
	return sqlState(err) == uniqueViolation
}

func isForeignKeyViolation(err error) bool {
	return sqlState(err) == foreignKeyViolation
}

// isRetryable reports a transaction that PostgreSQL rolled back because it
// conflicted with a concurrent one; running it again may succeed.
func isRetryable(err error) bool {
	code := sqlState(err)
	return code == serializationFailure || code == deadlockDetected
}

// isUnavailable reports errors after which a later attempt may succeed: the
// server unreachable, refusing or dropping the connection, shutting down,
// starting up, out of connection slots, or cancelling a statement that ran
// past statement_timeout. Any failure to connect counts, a rejected login
// included, because the client can do nothing about it but wait. So does
// pgconn.ErrConnClosed, which the driver returns when a connection dropped
// in the middle of an operation, for example between the statements of a
// transaction or while the result of COMMIT was read.
func isUnavailable(err error) bool {
	if errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	if code := sqlState(err); code != "" {
		switch code {
		case adminShutdown, crashShutdown, cannotConnectNow, tooManyConnections, queryCanceled:
			return true
		}
		if strings.HasPrefix(code, connectionException) {
			return true
		}
		var connectErr *pgconn.ConnectError
		return errors.As(err, &connectErr)
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.Timeout(err)
}

// describe returns why a connection attempt failed, without the connection
// settings: the server's message and SQLSTATE, the network error (which
// names the address), or a timeout. The driver's own message is not used,
// because it repeats the user and database names of the URL.
func describe(err error) string {
	var pgErr *pgconn.PgError
	var opErr *net.OpError
	switch {
	case errors.As(err, &pgErr):
		return fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	case errors.As(err, &opErr):
		return opErr.Error()
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return "connecting timed out"
	case errors.Is(err, context.Canceled):
		return "connecting was cancelled"
	default:
		return "connecting failed"
	}
}
