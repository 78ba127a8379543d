package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// RecordLoginFailure stores a failed sign-in for key and returns how many
// failures key has at or after since, this one included.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, at, since time.Time) (
	int, error) {
	c := s.conn()
	_, err := c.exec(ctx, `INSERT INTO login_failures (throttle_key, failed_at) VALUES (?, ?)`,
		key, millis(at))
	if err != nil {
		return 0, s.wrap("record login failure", err)
	}
	var n int
	err = c.queryRow(ctx, `SELECT COUNT(*) FROM login_failures
		WHERE throttle_key = ? AND failed_at >= ?`, key, millis(since)).Scan(&n)
	if err != nil {
		return 0, s.wrap("record login failure", err)
	}
	return n, nil
}

// ClearLoginFailures deletes the recorded failures of key. A lock of key stays.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.conn().exec(ctx, `DELETE FROM login_failures WHERE throttle_key = ?`, key)
	return s.wrap("clear login failures", err)
}

// LockLogin rejects sign-ins for key until the given time, replacing an
// earlier lock of key.
func (s *Store) LockLogin(ctx context.Context, key string, until time.Time) error {
	_, err := s.conn().exec(ctx, `INSERT INTO login_locks (throttle_key, locked_until)
		VALUES (?, ?) ON CONFLICT (throttle_key) DO UPDATE SET locked_until = excluded.locked_until`,
		key, millis(until))
	return s.wrap("lock login", err)
}

// LoginLockedUntil returns when the lock of key ends, or the zero time if key
// has no lock.
func (s *Store) LoginLockedUntil(ctx context.Context, key string) (time.Time, error) {
	var until time.Time
	err := s.conn().queryRow(ctx, `SELECT locked_until FROM login_locks WHERE throttle_key = ?`,
		key).Scan(timeColumn{&until})
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, s.wrap("login locked until", err)
	}
	return until, nil
}
