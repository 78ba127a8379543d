package sqlstore

import (
	"strconv"
	"strings"
)

// Dialect is the set of differences between the SQL databases that Store
// runs on.
// Queries are written with ? placeholders and use only SQL that SQLite and
// PostgreSQL both accept.
type Dialect struct {
	// NumberedPlaceholders makes Rebind turn ? into $1, $2, ... (PostgreSQL).
	NumberedPlaceholders bool
	// IsUniqueViolation reports whether err is a primary-key or unique-index
	// violation. Store returns consentry.ErrConflict for it.
	IsUniqueViolation func(err error) bool
	// IsForeignKeyViolation reports whether err is a foreign-key violation.
	// Store returns consentry.ErrNotFound for it, because the referenced
	// record is missing.
	IsForeignKeyViolation func(err error) bool
	// IsUnavailable reports whether err means that the database cannot be
	// reached or is locked beyond its timeout. Store returns
	// consentry.ErrUnavailable for it.
	IsUnavailable func(err error) bool
	// IsRetryable reports whether err means that the database rolled the
	// transaction back because it conflicted with a concurrent one (on
	// PostgreSQL, a serialization failure or a deadlock), so that running it
	// again may succeed. Store runs such a transaction, or a statement
	// outside one, again a bounded number of times and then returns
	// consentry.ErrUnavailable.
	IsRetryable func(err error) bool
	// MigrationLock, when not empty, is run first in every migration
	// transaction so that concurrent migrators apply each migration once.
	// SQLite needs none, because its write transactions already exclude each
	// other; PostgreSQL can take an advisory transaction lock here.
	MigrationLock string
}

// Rebind rewrites the ? placeholders of query for the dialect. A ? inside a
// single-quoted string literal is left alone.
func (d Dialect) Rebind(query string) string {
	if !d.NumberedPlaceholders {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	inLiteral := false
	for _, r := range query {
		switch {
		case r == '\'':
			inLiteral = !inLiteral
			b.WriteRune(r)
		case r == '?' && !inLiteral:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (d Dialect) isUniqueViolation(err error) bool {
	return d.IsUniqueViolation != nil && d.IsUniqueViolation(err)
}

func (d Dialect) isForeignKeyViolation(err error) bool {
	return d.IsForeignKeyViolation != nil && d.IsForeignKeyViolation(err)
}

func (d Dialect) isUnavailable(err error) bool {
	return d.IsUnavailable != nil && d.IsUnavailable(err)
}

func (d Dialect) isRetryable(err error) bool {
	return d.IsRetryable != nil && d.IsRetryable(err)
}
