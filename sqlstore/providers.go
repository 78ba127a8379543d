package sqlstore

import (
	"context"
	"fmt"

	"github.com/consentry/consentry"
)

const providerColumns = `id, name, country, kind, scopes, disabled, upstream, created_at`

func scanProvider(row interface{ Scan(...any) error }) (consentry.Provider, error) {
	var p consentry.Provider
	err := row.Scan(&p.ID, &p.Name, &p.Country, &p.Kind, listColumn{&p.Scopes},
		&p.Disabled, &p.Upstream, timeColumn{&p.CreatedAt})
	return p, err
}

// CreateProvider stores a new provider; consentry.ErrConflict if the id is
// taken.
func (s *Store) CreateProvider(ctx context.Context, p consentry.Provider) error {
	_, err := s.conn().exec(ctx, `INSERT INTO providers (`+providerColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Name, p.Country, string(p.Kind), encodeList(p.Scopes), p.Disabled,
		nullBytes(p.Upstream), millis(p.CreatedAt))
	return s.wrap("create provider", err)
}

// GetProvider returns the provider with the id, or consentry.ErrNotFound.
func (s *Store) GetProvider(ctx context.Context, id string) (consentry.Provider, error) {
	p, err := scanProvider(s.conn().queryRow(ctx,
		`SELECT `+providerColumns+` FROM providers WHERE id = ?`, id))
	if err != nil {
		return consentry.Provider{}, s.wrap("get provider", err)
	}
	return p, nil
}

// ListProviders returns every provider ordered by id.
func (s *Store) ListProviders(ctx context.Context) ([]consentry.Provider, error) {
	rows, err := s.conn().query(ctx, `SELECT `+providerColumns+` FROM providers ORDER BY id`)
	if err != nil {
		return nil, s.wrap("list providers", err)
	}
	defer rows.Close()
	var providers []consentry.Provider
	for rows.Next() {
		p, err := scanProvider(rows)
		if err != nil {
			return nil, s.wrap("list providers", err)
		}
		providers = append(providers, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list providers", err)
	}
	return providers, nil
}

// CreateSandboxUser stores a sandbox user. It returns consentry.ErrConflict if
// the provider has a user with that name and consentry.ErrNotFound if the
// provider does not exist.
func (s *Store) CreateSandboxUser(ctx context.Context, u consentry.SandboxUser) error {
	err := s.inTx(ctx, func(tx conn) error {
		// Providers are never deleted, so the check cannot go stale before
		// the insert.
		found, err := tx.exists(ctx, `SELECT 1 FROM providers WHERE id = ?`, u.ProviderID)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("provider %q: %w", u.ProviderID, consentry.ErrNotFound)
		}
		_, err = tx.exec(ctx, `INSERT INTO sandbox_users
			(provider_id, username, password_hash, created_at) VALUES (?, ?, ?, ?)`,
			u.ProviderID, u.Username, u.PasswordHash, millis(u.CreatedAt))
		return err
	})
	return s.wrap("create sandbox user", err)
}

// GetSandboxUser returns a user of a sandbox provider, or
// consentry.ErrNotFound.
func (s *Store) GetSandboxUser(ctx context.Context, providerID, username string) (
	consentry.SandboxUser, error) {
	var u consentry.SandboxUser
	err := s.conn().queryRow(ctx, `SELECT provider_id, username, password_hash, created_at
		FROM sandbox_users WHERE provider_id = ? AND username = ?`, providerID, username).
		Scan(&u.ProviderID, &u.Username, &u.PasswordHash, timeColumn{&u.CreatedAt})
	if err != nil {
		return consentry.SandboxUser{}, s.wrap("get sandbox user", err)
	}
	return u, nil
}
