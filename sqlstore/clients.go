package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/consentry/consentry"
)

const clientColumns = `id, name, secret_hash, auth_methods, redirect_uris, grant_types,
	scopes, require_pkce, refresh_grace_ms, created_at`

func scanClient(row interface{ Scan(...any) error }) (consentry.Client, error) {
	var c consentry.Client
	err := row.Scan(&c.ID, &c.Name, &c.SecretHash, listColumn{&c.AuthMethods},
		listColumn{&c.RedirectURIs}, listColumn{&c.GrantTypes}, listColumn{&c.Scopes},
		&c.RequirePKCE, durationColumn{&c.RefreshGrace}, timeColumn{&c.CreatedAt})
	return c, err
}

// CreateClient stores a new client with its provider registrations. It
// returns consentry.ErrConflict if the id is taken and consentry.ErrNotFound
// if a listed provider does not exist.
func (s *Store) CreateClient(ctx context.Context, c consentry.Client) error {
	err := s.inTx(ctx, func(tx conn) error {
		_, err := tx.exec(ctx, `INSERT INTO clients (`+clientColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Name, nullBytes(c.SecretHash), encodeList(c.AuthMethods),
			encodeList(c.RedirectURIs), encodeList(c.GrantTypes), encodeList(c.Scopes),
			c.RequirePKCE, nullDuration(c.RefreshGrace), millis(c.CreatedAt))
		if err != nil {
			return err
		}
		return insertClientProviders(ctx, tx, c.ID, c.Providers)
	})
	return s.wrap("create client", err)
}

// insertClientProviders registers the client with each provider, keeping the
// order of the list. A repeated provider id is registered once.
func insertClientProviders(ctx context.Context, tx conn, clientID string,
	providers []string) error {
	for i, providerID := range providers {
		if slices.Contains(providers[:i], providerID) {
			continue
		}
		found, err := tx.exists(ctx, `SELECT 1 FROM providers WHERE id = ?`, providerID)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("provider %q: %w", providerID, consentry.ErrNotFound)
		}
		_, err = tx.exec(ctx, `INSERT INTO client_providers (client_id, provider_id, position)
			VALUES (?, ?, ?)`, clientID, providerID, i)
		if err != nil {
			return err
		}
	}
	return nil
}

// GetClient returns the client with the id, or consentry.ErrNotFound.
func (s *Store) GetClient(ctx context.Context, id string) (consentry.Client, error) {
	c, err := scanClient(s.conn().queryRow(ctx,
		`SELECT `+clientColumns+` FROM clients WHERE id = ?`, id))
	if err != nil {
		return consentry.Client{}, s.wrap("get client", err)
	}
	providers, err := s.clientProviders(ctx, id)
	if err != nil {
		return consentry.Client{}, s.wrap("get client", err)
	}
	c.Providers = providers[id]
	return c, nil
}

// clientProviders returns the provider ids of one client, or of every client
// when clientID is empty, keyed by client id.
func (s *Store) clientProviders(ctx context.Context, clientID string) (map[string][]string, error) {
	query := `SELECT client_id, provider_id FROM client_providers`
	var args []any
	if clientID != "" {
		query += ` WHERE client_id = ?`
		args = append(args, clientID)
	}
	rows, err := s.conn().query(ctx, query+` ORDER BY client_id, position`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	providers := make(map[string][]string)
	for rows.Next() {
		var client, provider string
		if err := rows.Scan(&client, &provider); err != nil {
			return nil, err
		}
		providers[client] = append(providers[client], provider)
	}
	return providers, rows.Err()
}

// ListClients returns every client ordered by id.
func (s *Store) ListClients(ctx context.Context) ([]consentry.Client, error) {
	rows, err := s.conn().query(ctx, `SELECT `+clientColumns+` FROM clients ORDER BY id`)
	if err != nil {
		return nil, s.wrap("list clients", err)
	}
	defer rows.Close()
	var clients []consentry.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, s.wrap("list clients", err)
		}
		clients = append(clients, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list clients", err)
	}
	// The provider query runs after the client rows are closed, because an
	// in-memory SQLite database has a single connection.
	rows.Close()
	providers, err := s.clientProviders(ctx, "")
	if err != nil {
		return nil, s.wrap("list clients", err)
	}
	for i := range clients {
		clients[i].Providers = providers[clients[i].ID]
	}
	return clients, nil
}

// DeleteClient removes the client with its pending requests, connections,
// codes, tokens and provider registrations. It does not rely on ON DELETE
// CASCADE, so that a schema without it behaves the same.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	statements := []string{
		`DELETE FROM access_tokens WHERE client_id = ? OR connection_id IN
			(SELECT id FROM connections WHERE client_id = ?)`,
		`DELETE FROM refresh_tokens WHERE connection_id IN
			(SELECT id FROM connections WHERE client_id = ?)`,
		`DELETE FROM auth_codes WHERE connection_id IN
			(SELECT id FROM connections WHERE client_id = ?)`,
		`DELETE FROM connections WHERE client_id = ?`,
		`DELETE FROM auth_requests WHERE client_id = ?`,
		`DELETE FROM client_providers WHERE client_id = ?`,
	}
	err := s.inTx(ctx, func(tx conn) error {
		for _, statement := range statements {
			args := make([]any, strings.Count(statement, "?"))
			for i := range args {
				args[i] = id
			}
			if _, err := tx.exec(ctx, statement, args...); err != nil {
				return err
			}
		}
		n, err := tx.execCount(ctx, `DELETE FROM clients WHERE id = ?`, id)
		if err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		return err
	})
	return s.wrap("delete client", err)
}

// UpdateClientSecret replaces the client's secret hash, or returns
// consentry.ErrNotFound.
func (s *Store) UpdateClientSecret(ctx context.Context, id string, secretHash []byte) error {
	n, err := s.conn().execCount(ctx, `UPDATE clients SET secret_hash = ? WHERE id = ?`,
		nullBytes(secretHash), id)
	if err == nil && n == 0 {
		err = sql.ErrNoRows
	}
	return s.wrap("update client secret", err)
}
