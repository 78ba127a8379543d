package sqlstore

import (
	"context"
	"time"
)

// AcquireLease takes or extends the named lease in one upsert. The upsert's
// WHERE lets it change the row only when the lease expired or already
// belongs to holder, so of replicas racing for a free lease exactly one
// changes the row and sees a row count of one.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, until, now time.Time) (bool, error) {
	n, err := s.conn().execCount(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.expires_at <= ? OR leases.holder = excluded.holder`,
		name, holder, millis(until), millis(now))
	if err != nil {
		return false, s.wrap("acquire lease", err)
	}
	return n == 1, nil
}
