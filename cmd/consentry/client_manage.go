package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
	"github.com/spf13/cobra"
)

func newClientListCommand(g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the registered clients",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(store consentry.Store) error {
				clients, err := store.ListClients(cmd.Context())
				if err != nil {
					return fmt.Errorf("list clients: %w", err)
				}
				if asJSON {
					out := make([]clientJSON, 0, len(clients))
					for _, c := range clients {
						out = append(out, newClientJSON(c))
					}
					return writeJSON(cmd.OutOrStdout(), out)
				}
				return printClientTable(cmd, clients)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the clients as a JSON array")
	return cmd
}

func printClientTable(cmd *cobra.Command, clients []consentry.Client) error {
	if len(clients) == 0 {
		_, err := fmt.Fprintln(cmd.OutOrStdout(), "No clients are registered.")
		return err
	}
	t := newTable(cmd.OutOrStdout())
	fmt.Fprintln(t, "CLIENT_ID\tNAME\tTYPE\tGRANT TYPES\tPROVIDERS\tCREATED")
	for _, c := range clients {
		kind := "confidential"
		if c.Public() {
			kind = "public"
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, kind,
			formatList(c.GrantTypes), formatList(c.Providers), formatTime(c.CreatedAt))
	}
	return t.Flush()
}

func newClientShowCommand(g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show CLIENT_ID",
		Short: "Show one client's registration",
		Args:  oneArgument("CLIENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(cmd.Context(), func(store consentry.Store) error {
				client, err := getClient(cmd.Context(), store, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), newClientJSON(client))
				}
				return printClient(cmd.OutOrStdout(), client)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the client as a JSON object")
	return cmd
}

func newClientDeleteCommand(g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "delete CLIENT_ID",
		Short: "Delete a client with its connections and tokens",
		Long: `Delete a client together with its connections, authorization codes and tokens.
Its tokens stop working at once.`,
		Args: oneArgument("CLIENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			err := g.withStore(cmd.Context(), func(store consentry.Store) error {
				// The lookup turns a missing client into a clear error whatever
				// DeleteClient returns for an unknown id.
				if _, err := getClient(cmd.Context(), store, id); err != nil {
					return err
				}
				if err := store.DeleteClient(cmd.Context(), id); err != nil {
					return fmt.Errorf("delete client %q: %w", id, err)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"client_id": id, "deleted": true})
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Deleted client %s.\n", id)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"client_id": ..., "deleted": true}`)
	return cmd
}

func newClientRotateSecretCommand(g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rotate-secret CLIENT_ID",
		Short: "Replace a confidential client's secret and print the new one",
		Long: `Generate a new secret for a confidential client and print it once. The previous
secret stops working at once; tokens already issued stay valid.`,
		Args: oneArgument("CLIENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			secret := tokens.NewSecret()
			err := g.withStore(cmd.Context(), func(store consentry.Store) error {
				return replaceSecret(cmd.Context(), store, id, secret)
			})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), clientJSONSecret{ClientID: id, ClientSecret: secret})
			}
			return printCredentials(cmd, id, secret)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false,
		`print {"client_id": ..., "client_secret": ...} as a JSON object`)
	return cmd
}

// clientJSONSecret is the JSON output of rotate-secret.
type clientJSONSecret struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

func replaceSecret(ctx context.Context, store consentry.Store, id, secret string) error {
	client, err := getClient(ctx, store, id)
	if err != nil {
		return err
	}
	if client.Public() {
		return fmt.Errorf("client %q is public and has no secret to rotate", id)
	}
	if err := store.UpdateClientSecret(ctx, id, tokens.Hash(secret)); err != nil {
		return fmt.Errorf("update secret of client %q: %w", id, err)
	}
	return nil
}

// getClient returns the client with id. Its not-found error tells the user
// how to list the registered ids.
func getClient(ctx context.Context, store consentry.Store, id string) (consentry.Client, error) {
	client, err := store.GetClient(ctx, id)
	if errors.Is(err, consentry.ErrNotFound) {
		return client, fmt.Errorf("client %q %w: see 'consentry client list' "+
			"for the registered ids", id, consentry.ErrNotFound)
	}
	if err != nil {
		return client, fmt.Errorf("get client %q: %w", id, err)
	}
	return client, nil
}
