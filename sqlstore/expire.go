package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// expiringTable is a table that DeleteExpired trims: rows whose column is
// more than keep before now go, found through an index on column.
type expiringTable struct {
	name, key, column string
}

var expiringTables = []expiringTable{
	{name: "auth_codes", key: "hash", column: "expires_at"},
	{name: "auth_requests", key: "id", column: "expires_at"},
	{name: "access_tokens", key: "id", column: "expires_at"},
	{name: "refresh_tokens", key: "id", column: "expires_at"},
	{name: "login_locks", key: "throttle_key", column: "locked_until"},
	{name: "login_failures", key: "id", column: "failed_at"},
}

// DeleteExpired deletes at most limit rows of each table in expiringTables
// whose expiry (for login failures, the failure time) is more than keep before
// now, and returns how many rows it deleted. Each table takes one bounded
// statement, so no delete holds the write lock for long. To catch up on a
// backlog, call it again while it returns more than zero.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, keep time.Duration,
	limit int) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("sqlstore: delete expired: limit %d is not positive", limit)
	}
	cutoff := millis(now.Add(-keep))
	c := s.conn()
	total := 0
	for _, t := range expiringTables {
		// The limit is part of the statement, not a parameter, so that
		// PostgreSQL's generic plan of the prepared statement is made for
		// a batch of that size. For LIMIT $n it assumes a tenth of the
		// table, and may then choose to scan all of it.
		n, err := c.execCount(ctx, fmt.Sprintf(`DELETE FROM %[1]s WHERE %[2]s IN
			(SELECT %[2]s FROM %[1]s WHERE %[3]s < ? ORDER BY %[3]s LIMIT %[4]d)`,
			t.name, t.key, t.column, limit), cutoff)
		if err != nil {
			return total, s.wrap("delete expired "+t.name, err)
		}
		total += int(n)
	}
	return total, nil
}
