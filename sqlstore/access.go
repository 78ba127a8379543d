package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/consentry/consentry"
)

// insertAccessToken stores at unless its signing key has been revoked, and
// then returns consentry.ErrKeyRevoked, so that a replica whose key cache
// predates a revocation signs again instead of issuing a dead token.
func insertAccessToken(ctx context.Context, tx conn, at consentry.AccessToken) error {
	if at.KeyID != "" {
		revoked, err := tx.exists(ctx, `SELECT 1 FROM signing_keys WHERE id = ? AND revoked_at IS NOT NULL`,
			at.KeyID)
		if err != nil {
			return err
		}
		if revoked {
			return consentry.ErrKeyRevoked
		}
	}
	_, err := tx.exec(ctx, `INSERT INTO access_tokens (id, client_id, connection_id, subject,
		scopes, key_id, issued_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		at.ID, at.ClientID, nullText(at.ConnectionID), at.Subject, encodeList(at.Scopes),
		nullText(at.KeyID), millis(at.IssuedAt), millis(at.ExpiresAt), nullMillis(at.RevokedAt))
	return err
}

// CreateAccessToken records an access token issued without a refresh token.
// It returns consentry.ErrConflict if the id is taken.
func (s *Store) CreateAccessToken(ctx context.Context, at consentry.AccessToken) error {
	return s.wrap("create access token", insertAccessToken(ctx, s.conn(), at))
}

// GetAccessToken returns the token with the jti. Its RevokedAt is the token's
// own revocation time or else, when the token's connection or signing key
// was revoked, that revocation's time.
func (s *Store) GetAccessToken(ctx context.Context, id string) (consentry.AccessToken, error) {
	var at consentry.AccessToken
	err := s.conn().queryRow(ctx, `SELECT a.id, a.client_id, a.connection_id, a.subject,
		a.scopes, a.key_id, a.issued_at, a.expires_at,
		COALESCE(a.revoked_at, c.revoked_at, k.revoked_at)
		FROM access_tokens a
		LEFT JOIN connections c ON c.id = a.connection_id
		LEFT JOIN signing_keys k ON k.id = a.key_id
		WHERE a.id = ?`, id).
		Scan(&at.ID, &at.ClientID, textColumn{&at.ConnectionID}, &at.Subject,
			listColumn{&at.Scopes}, textColumn{&at.KeyID}, timeColumn{&at.IssuedAt},
			timeColumn{&at.ExpiresAt}, nullTimeColumn{&at.RevokedAt})
	if err != nil {
		return consentry.AccessToken{}, s.wrap("get access token", err)
	}
	return at, nil
}

// RevokeAccessToken revokes one access token. Revoking a revoked token
// succeeds and keeps the first revocation time.
func (s *Store) RevokeAccessToken(ctx context.Context, id string, now time.Time) error {
	n, err := s.conn().execCount(ctx, `UPDATE access_tokens
		SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, millis(now), id)
	if err == nil && n == 0 {
		err = sql.ErrNoRows
	}
	return s.wrap("revoke access token", err)
}
