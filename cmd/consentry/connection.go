package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/consentry/consentry"
	"github.com/spf13/cobra"
)

func newConnectionCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connection",
		Short: "Inspect and revoke connections",
		Long: `A connection is one end user at one provider, authorized for one client, with
the granted scopes.`,
	}
	cmd.AddCommand(newConnectionListCommand(g), newConnectionRevokeCommand(g))
	return cmd
}

// connectionJSON is the JSON form of a connection. The grant id is left out:
// it is an internal detail of refresh-token rotation.
type connectionJSON struct {
	ConnectionID string     `json:"connection_id"`
	ClientID     string     `json:"client_id"`
	ProviderID   string     `json:"provider_id"`
	UserID       string     `json:"user_id"`
	Subject      string     `json:"sub"`
	Scopes       []string   `json:"scopes"`
	Status       string     `json:"status"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
}

func newConnectionJSON(c consentry.Connection) connectionJSON {
	out := connectionJSON{
		ConnectionID: c.ID,
		ClientID:     c.ClientID,
		ProviderID:   c.ProviderID,
		UserID:       c.UserID,
		Subject:      c.Subject,
		Scopes:       nonNil(c.Scopes),
		Status:       connectionStatus(c),
		CreatedAt:    c.CreatedAt.UTC(),
		UpdatedAt:    c.UpdatedAt.UTC(),
	}
	if c.RevokedAt != nil {
		revoked := c.RevokedAt.UTC()
		out.RevokedAt = &revoked
	}
	return out
}

func connectionStatus(c consentry.Connection) string {
	if c.Active() {
		return "active"
	}
	return "revoked"
}

func newConnectionListCommand(g *globalOptions) *cobra.Command {
	var (
		clientID string
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List connections, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(store consentry.Store) error {
				if clientID != "" {
					if _, err := getClient(cmd.Context(), store, clientID); err != nil {
						return err
					}
				}
				connections, err := store.ListConnections(cmd.Context(), clientID)
				if err != nil {
					return fmt.Errorf("list connections: %w", err)
				}
				if asJSON {
					out := make([]connectionJSON, 0, len(connections))
					for _, c := range connections {
						out = append(out, newConnectionJSON(c))
					}
					return writeJSON(cmd.OutOrStdout(), out)
				}
				return printConnectionTable(cmd, connections)
			})
		},
	}
	cmd.Flags().StringVar(&clientID, "client", "", "list only the connections of this client_id")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the connections as a JSON array")
	return cmd
}

func printConnectionTable(cmd *cobra.Command, connections []consentry.Connection) error {
	if len(connections) == 0 {
		_, err := fmt.Fprintln(cmd.OutOrStdout(), "No connections.")
		return err
	}
	t := newTable(cmd.OutOrStdout())
	fmt.Fprintln(t, "CONNECTION_ID\tCLIENT_ID\tPROVIDER_ID\tUSER_ID\tSTATUS\tSCOPES\tUPDATED")
	for _, c := range connections {
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.ClientID, c.ProviderID,
			c.UserID, connectionStatus(c), formatList(c.Scopes), formatTime(c.UpdatedAt))
	}
	return t.Flush()
}

func newConnectionRevokeCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke CONNECTION_ID",
		Short: "Revoke a connection with its tokens",
		Long: `Revoke a connection: its refresh and access tokens stop working at once.
Revoking a revoked connection changes nothing.`,
		Args: oneArgument("CONNECTION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var message string
			err := g.withStore(cmd.Context(), func(store consentry.Store) error {
				var err error
				message, err = revokeConnection(cmd.Context(), store, args[0])
				return err
			})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), message)
			return err
		},
	}
}

// revokeConnection revokes the connection with id unless it is revoked
// already. It returns a sentence for the user that reports which happened.
func revokeConnection(ctx context.Context, store consentry.Store, id string) (string, error) {
	conn, err := store.GetConnection(ctx, id)
	if errors.Is(err, consentry.ErrNotFound) {
		return "", fmt.Errorf("connection %q %w: see 'consentry connection list' for the ids",
			id, consentry.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("get connection %q: %w", id, err)
	}
	if !conn.Active() {
		return fmt.Sprintf("Connection %s was revoked already at %s.",
			id, formatTime(*conn.RevokedAt)), nil
	}
	if err := store.RevokeConnection(ctx, id, time.Now()); err != nil {
		return "", fmt.Errorf("revoke connection %q: %w", id, err)
	}
	return fmt.Sprintf("Revoked connection %s.", id), nil
}
