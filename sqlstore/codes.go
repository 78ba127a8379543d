package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/consentry/consentry"
)

const codeColumns = `hash, client_id, redirect_uri, connection_id, grant_id, scopes,
	code_challenge, code_challenge_method, correlation_id, created_at, expires_at, used_at`

func scanCode(row interface{ Scan(...any) error }) (consentry.AuthCode, error) {
	var c consentry.AuthCode
	err := row.Scan(&c.Hash, &c.ClientID, &c.RedirectURI, &c.ConnectionID, &c.GrantID,
		listColumn{&c.Scopes}, &c.CodeChallenge, &c.CodeChallengeMethod, &c.CorrelationID,
		timeColumn{&c.CreatedAt}, timeColumn{&c.ExpiresAt}, nullTimeColumn{&c.UsedAt})
	return c, err
}

func insertCode(ctx context.Context, tx conn, c consentry.AuthCode) error {
	_, err := tx.exec(ctx, `INSERT INTO auth_codes (`+codeColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Hash, c.ClientID, c.RedirectURI, c.ConnectionID, c.GrantID, encodeList(c.Scopes),
		c.CodeChallenge, c.CodeChallengeMethod, c.CorrelationID,
		millis(c.CreatedAt), millis(c.ExpiresAt), nullMillis(c.UsedAt))
	return err
}

// RedeemCode marks the code used. It returns the code and nil for the first
// redemption, the code and consentry.ErrConflict for a later one, and
// consentry.ErrNotFound for an unknown code. The conditional UPDATE decides
// which redemption is first, so concurrent redemptions have one winner.
func (s *Store) RedeemCode(ctx context.Context, hash []byte, now time.Time) (
	consentry.AuthCode, error) {
	c := s.conn()
	code, err := scanCode(c.queryRow(ctx, `UPDATE auth_codes SET used_at = ?
		WHERE hash = ? AND used_at IS NULL RETURNING `+codeColumns, millis(now), hash))
	if err == nil {
		return code, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return consentry.AuthCode{}, s.wrap("redeem code", err)
	}
	code, err = scanCode(c.queryRow(ctx,
		`SELECT `+codeColumns+` FROM auth_codes WHERE hash = ?`, hash))
	if err != nil {
		return consentry.AuthCode{}, s.wrap("redeem code", err)
	}
	return code, s.wrap("redeem code", consentry.ErrConflict)
}
