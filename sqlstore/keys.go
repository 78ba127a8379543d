package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/consentry/consentry"
)

// EnsureSecret returns the secret stored under name, storing value first when
// there is none. INSERT ... ON CONFLICT DO NOTHING lets exactly one of
// concurrent callers store its value, and every caller then reads that one.
func (s *Store) EnsureSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	if value == nil {
		value = []byte{}
	}
	c := s.conn()
	_, err := c.exec(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO NOTHING`, name, value)
	if err != nil {
		return nil, s.wrap("ensure secret", err)
	}
	var stored []byte
	err = c.queryRow(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&stored)
	if err != nil {
		return nil, s.wrap("ensure secret", err)
	}
	return stored, nil
}

const signingKeyColumns = `id, algorithm, private_key, public_key, created_at, activates_at,
	retired_at, revoked_at`

func insertSigningKey(ctx context.Context, c conn, k consentry.SigningKey) error {
	_, err := c.exec(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Algorithm, k.PrivateKey, k.PublicKey, millis(k.CreatedAt),
		millis(k.ActivatesAt), nullMillis(k.RetiredAt), nullMillis(k.RevokedAt))
	return err
}

// CreateFirstSigningKey stores k only if there is no unrevoked signing key,
// and reports whether it did. Concurrent callers take turns on one row of
// store_locks, so at most one of them finds no key and stores its own.
func (s *Store) CreateFirstSigningKey(ctx context.Context, k consentry.SigningKey) (
	bool, error) {
	created := false
	err := s.inTx(ctx, func(tx conn) error {
		created = false
		// The upsert locks the row until commit, also when it exists already.
		_, err := tx.exec(ctx, `INSERT INTO store_locks (name) VALUES (?)
			ON CONFLICT (name) DO UPDATE SET name = excluded.name`, "signing_keys")
		if err != nil {
			return err
		}
		found, err := tx.exists(ctx, `SELECT 1 FROM signing_keys WHERE revoked_at IS NULL`)
		if err != nil || found {
			return err
		}
		if err := insertSigningKey(ctx, tx, k); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return false, s.wrap("create first signing key", err)
	}
	return created, nil
}

// CreateSigningKey stores another signing key; consentry.ErrConflict if the
// id is taken.
func (s *Store) CreateSigningKey(ctx context.Context, k consentry.SigningKey) error {
	return s.wrap("create signing key", insertSigningKey(ctx, s.conn(), k))
}

// ListSigningKeys returns every signing key, oldest first. Keys created in
// one millisecond, such as the first key and a rotated one, are ordered by
// activation time, because their random kids do not reflect their age.
func (s *Store) ListSigningKeys(ctx context.Context) ([]consentry.SigningKey, error) {
	rows, err := s.conn().query(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys
		ORDER BY created_at, activates_at, id`)
	if err != nil {
		return nil, s.wrap("list signing keys", err)
	}
	defer rows.Close()
	var keys []consentry.SigningKey
	for rows.Next() {
		var k consentry.SigningKey
		err := rows.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &k.PublicKey,
			timeColumn{&k.CreatedAt}, timeColumn{&k.ActivatesAt},
			nullTimeColumn{&k.RetiredAt}, nullTimeColumn{&k.RevokedAt})
		if err != nil {
			return nil, s.wrap("list signing keys", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list signing keys", err)
	}
	return keys, nil
}

// RetireSigningKey sets RetiredAt of the key unless it is set already.
func (s *Store) RetireSigningKey(ctx context.Context, id string, now time.Time) error {
	return s.wrap("retire signing key", s.setKeyTime(ctx, "retired_at", id, now))
}

// RevokeSigningKey sets RevokedAt of the key unless it is set already.
func (s *Store) RevokeSigningKey(ctx context.Context, id string, now time.Time) error {
	return s.wrap("revoke signing key", s.setKeyTime(ctx, "revoked_at", id, now))
}

// setKeyTime sets a time column of a signing key that is still NULL. column
// is one of two constants, never input.
func (s *Store) setKeyTime(ctx context.Context, column, id string, now time.Time) error {
	n, err := s.conn().execCount(ctx, `UPDATE signing_keys
		SET `+column+` = COALESCE(`+column+`, ?) WHERE id = ?`, millis(now), id)
	if err == nil && n == 0 {
		err = sql.ErrNoRows
	}
	return err
}
