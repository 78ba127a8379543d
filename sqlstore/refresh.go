package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/consentry/consentry"
)

const refreshColumns = `hash, connection_id, client_id, grant_id, scopes, parent_hash,
	access_token_id, created_at, expires_at, used_at, revoked_at`

// usableRefreshToken is the condition under which a refresh token may be
// rotated or replaced: unused, unrevoked, and of the current grant of an
// active connection.
const usableRefreshToken = `used_at IS NULL AND revoked_at IS NULL AND EXISTS (
	SELECT 1 FROM connections c WHERE c.id = refresh_tokens.connection_id
	AND c.revoked_at IS NULL AND c.grant_id = refresh_tokens.grant_id)`

func scanRefreshToken(dst *consentry.RefreshToken) []any {
	return []any{&dst.Hash, &dst.ConnectionID, &dst.ClientID, &dst.GrantID,
		listColumn{&dst.Scopes}, &dst.ParentHash, &dst.AccessTokenID,
		timeColumn{&dst.CreatedAt}, timeColumn{&dst.ExpiresAt},
		nullTimeColumn{&dst.UsedAt}, nullTimeColumn{&dst.RevokedAt}}
}

func insertRefreshToken(ctx context.Context, tx conn, rt consentry.RefreshToken) error {
	_, err := tx.exec(ctx, `INSERT INTO refresh_tokens (`+refreshColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		rt.Hash, rt.ConnectionID, rt.ClientID, rt.GrantID, encodeList(rt.Scopes),
		nullBytes(rt.ParentHash), rt.AccessTokenID, millis(rt.CreatedAt),
		millis(rt.ExpiresAt), nullMillis(rt.UsedAt), nullMillis(rt.RevokedAt))
	return err
}

// insertTokenPair stores a refresh token and the access token issued with it.
func insertTokenPair(ctx context.Context, tx conn, rt consentry.RefreshToken,
	at consentry.AccessToken) error {
	if err := insertAccessToken(ctx, tx, at); err != nil {
		return err
	}
	return insertRefreshToken(ctx, tx, rt)
}

// IssueCodeTokens stores the first refresh token and access token of a
// redeemed code's grant and revokes, at rt.CreatedAt, any other live refresh
// token of the connection, so that a connection never has two. It returns
// consentry.ErrConflict, storing nothing, when the connection is revoked or
// its grant is no longer rt.GrantID.
func (s *Store) IssueCodeTokens(ctx context.Context, rt consentry.RefreshToken,
	at consentry.AccessToken) error {
	err := s.inTx(ctx, func(tx conn) error {
		// The update changes nothing but locks the connection row on
		// PostgreSQL, so a concurrent approval or revocation either commits
		// first and fails the condition, or waits for this transaction.
		n, err := tx.execCount(ctx, `UPDATE connections SET updated_at = updated_at
			WHERE id = ? AND revoked_at IS NULL AND grant_id = ?`, rt.ConnectionID, rt.GrantID)
		if err != nil {
			return err
		}
		if n == 0 {
			return conflictOrMissing(ctx, tx,
				`SELECT 1 FROM connections WHERE id = ?`, rt.ConnectionID)
		}
		_, err = tx.exec(ctx, `UPDATE refresh_tokens SET revoked_at = ?
			WHERE connection_id = ? AND revoked_at IS NULL`, millis(rt.CreatedAt), rt.ConnectionID)
		if err != nil {
			return err
		}
		return insertTokenPair(ctx, tx, rt, at)
	})
	return s.wrap("issue code tokens", err)
}

// GetRefreshToken returns the token with the connection it belongs to, so
// that the caller sees a revoked connection or a superseded grant.
func (s *Store) GetRefreshToken(ctx context.Context, hash []byte) (
	consentry.RefreshToken, consentry.Connection, error) {
	var rt consentry.RefreshToken
	var c consentry.Connection
	dest := append(scanRefreshToken(&rt), &c.ID, &c.ClientID, &c.ProviderID, &c.UserID,
		&c.Subject, listColumn{&c.Scopes}, &c.GrantID, timeColumn{&c.CreatedAt},
		timeColumn{&c.UpdatedAt}, nullTimeColumn{&c.RevokedAt})
	err := s.conn().queryRow(ctx, `SELECT `+qualify("r", refreshColumns)+`, `+
		qualify("c", connectionColumns)+`
		FROM refresh_tokens r JOIN connections c ON c.id = r.connection_id
		WHERE r.hash = ?`, hash).Scan(dest...)
	if err != nil {
		return consentry.RefreshToken{}, consentry.Connection{},
			s.wrap("get refresh token", err)
	}
	return rt, c, nil
}

// RotateRefreshToken marks the token at oldHash used and stores next and at,
// in one transaction. The conditional UPDATE and its row count choose the one
// winner among concurrent calls; the others get consentry.ErrConflict and
// store nothing. An unknown token is consentry.ErrNotFound.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash []byte, now time.Time,
	next consentry.RefreshToken, at consentry.AccessToken) error {
	err := s.inTx(ctx, func(tx conn) error {
		n, err := tx.execCount(ctx, `UPDATE refresh_tokens SET used_at = ?
			WHERE hash = ? AND `+usableRefreshToken, millis(now), oldHash)
		if err != nil {
			return err
		}
		if n == 0 {
			return conflictOrMissing(ctx, tx,
				`SELECT 1 FROM refresh_tokens WHERE hash = ?`, oldHash)
		}
		return insertTokenPair(ctx, tx, next, at)
	})
	return s.wrap("rotate refresh token", err)
}

// GetSuccessor returns the newest refresh token whose parent is parentHash,
// or consentry.ErrNotFound.
func (s *Store) GetSuccessor(ctx context.Context, parentHash []byte) (
	consentry.RefreshToken, error) {
	var rt consentry.RefreshToken
	err := s.conn().queryRow(ctx, `SELECT `+refreshColumns+` FROM refresh_tokens
		WHERE parent_hash = ? ORDER BY created_at DESC, id DESC LIMIT 1`, parentHash).
		Scan(scanRefreshToken(&rt)...)
	if err != nil {
		return consentry.RefreshToken{}, s.wrap("get successor", err)
	}
	return rt, nil
}

// ReplaceSuccessor revokes the successor token and the access token issued
// with it, and stores next and at, in one transaction. It returns
// consentry.ErrConflict, storing nothing, unless the successor is unused,
// unrevoked and of the current grant of an active connection.
func (s *Store) ReplaceSuccessor(ctx context.Context, successorHash []byte, now time.Time,
	next consentry.RefreshToken, at consentry.AccessToken) error {
	err := s.inTx(ctx, func(tx conn) error {
		var accessTokenID string
		err := tx.queryRow(ctx, `UPDATE refresh_tokens SET revoked_at = ?
			WHERE hash = ? AND `+usableRefreshToken+` RETURNING access_token_id`,
			millis(now), successorHash).Scan(&accessTokenID)
		if errors.Is(err, sql.ErrNoRows) {
			return conflictOrMissing(ctx, tx,
				`SELECT 1 FROM refresh_tokens WHERE hash = ?`, successorHash)
		}
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE access_tokens SET revoked_at = ?
			WHERE id = ? AND revoked_at IS NULL`, millis(now), accessTokenID)
		if err != nil {
			return err
		}
		return insertTokenPair(ctx, tx, next, at)
	})
	return s.wrap("replace successor", err)
}

// qualify prefixes each column of a comma-separated list with a table alias.
func qualify(alias, columns string) string {
	fields := strings.Split(columns, ",")
	for i, f := range fields {
		fields[i] = alias + "." + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}
