package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/consentry/consentry"
)

const connectionColumns = `id, client_id, provider_id, user_id, subject, scopes, grant_id,
	created_at, updated_at, revoked_at`

func scanConnection(row interface{ Scan(...any) error }) (consentry.Connection, error) {
	var c consentry.Connection
	err := row.Scan(&c.ID, &c.ClientID, &c.ProviderID, &c.UserID, &c.Subject,
		listColumn{&c.Scopes}, &c.GrantID, timeColumn{&c.CreatedAt}, timeColumn{&c.UpdatedAt},
		nullTimeColumn{&c.RevokedAt})
	return c, err
}

// GetConnection returns the connection with the id, or consentry.ErrNotFound.
func (s *Store) GetConnection(ctx context.Context, id string) (consentry.Connection, error) {
	c, err := scanConnection(s.conn().queryRow(ctx,
		`SELECT `+connectionColumns+` FROM connections WHERE id = ?`, id))
	if err != nil {
		return consentry.Connection{}, s.wrap("get connection", err)
	}
	return c, nil
}

// ListConnections returns the connections of one client, or of every client
// when clientID is empty, newest first.
func (s *Store) ListConnections(ctx context.Context, clientID string) (
	[]consentry.Connection, error) {
	query := `SELECT ` + connectionColumns + ` FROM connections`
	var args []any
	if clientID != "" {
		query += ` WHERE client_id = ?`
		args = append(args, clientID)
	}
	rows, err := s.conn().query(ctx, query+` ORDER BY created_at DESC, id DESC`, args...)
	if err != nil {
		return nil, s.wrap("list connections", err)
	}
	defer rows.Close()
	var connections []consentry.Connection
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, s.wrap("list connections", err)
		}
		connections = append(connections, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list connections", err)
	}
	return connections, nil
}

// RevokeConnection revokes the connection with its refresh and access
// tokens. A connection or token revoked before keeps its revocation time.
func (s *Store) RevokeConnection(ctx context.Context, id string, now time.Time) error {
	at := millis(now)
	err := s.inTx(ctx, func(tx conn) error {
		n, err := tx.execCount(ctx, `UPDATE connections SET revoked_at = COALESCE(revoked_at, ?)
			WHERE id = ?`, at, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return sql.ErrNoRows
		}
		_, err = tx.exec(ctx, `UPDATE refresh_tokens SET revoked_at = ?
			WHERE connection_id = ? AND revoked_at IS NULL`, at, id)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE access_tokens SET revoked_at = ?
			WHERE connection_id = ? AND revoked_at IS NULL`, at, id)
		return err
	})
	return s.wrap("revoke connection", err)
}
