package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

func newKeysCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the access-token signing keys",
	}
	cmd.AddCommand(newKeysListCommand(g), newKeysRotateCommand(g), newKeysRevokeCommand(g))
	return cmd
}

// keyJSON is a signing key as `keys list --json` prints it; never the
// private key.
type keyJSON struct {
	ID          string     `json:"kid"`
	Algorithm   string     `json:"alg"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	ActivatesAt time.Time  `json:"activates_at"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
}

func newKeyJSON(k consentry.SigningKey, now time.Time) keyJSON {
	status := "published"
	switch {
	case k.RevokedAt != nil:
		status = "revoked"
	case k.RetiredAt != nil:
		status = "retired"
	case k.ActivatesAt.After(now):
		status = "pending"
	}
	return keyJSON{ID: k.ID, Algorithm: k.Algorithm, Status: status, CreatedAt: k.CreatedAt,
		ActivatesAt: k.ActivatesAt, RetiredAt: k.RetiredAt, RevokedAt: k.RevokedAt}
}

func newKeysListCommand(g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the signing keys, oldest first",
		Long: `List the signing keys, oldest first. Status is pending (published, not yet
signing), published (may sign; the newest published key signs), retired or
revoked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(store consentry.Store) error {
				keys, err := store.ListSigningKeys(cmd.Context())
				if err != nil {
					return fmt.Errorf("list signing keys: %w", err)
				}
				now := time.Now()
				list := make([]keyJSON, 0, len(keys))
				for _, k := range keys {
					list = append(list, newKeyJSON(k, now))
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), list)
				}
				return printKeyTable(cmd.OutOrStdout(), list)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the keys as a JSON array")
	return cmd
}

func printKeyTable(w io.Writer, keys []keyJSON) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "KID\tALG\tSTATUS\tCREATED\tACTIVATES")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Algorithm, k.Status,
			formatTime(k.CreatedAt), formatTime(k.ActivatesAt))
	}
	return tw.Flush()
}

// keyManager opens a KeyManager over store with the key-encryption key of
// --key-file or CONSENTRY_KEY.
func keyManager(g *globalOptions, store consentry.Store, keyFile string) (*tokens.KeyManager, error) {
	kek, err := loadKeyEncryptionKey(keyFile, g.lookupEnv)
	if err != nil {
		return nil, err
	}
	if kek == nil {
		return nil, errors.New("missing key-encryption key: set --key-file, CONSENTRY_KEY_FILE or CONSENTRY_KEY " +
			"to the key the server uses")
	}
	return tokens.NewKeyManager(store, kek, tokens.KeyOptions{}), nil
}

func newKeysRotateCommand(g *globalOptions) *cobra.Command {
	var keyFile string
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Create a new signing key that starts signing after it has been published",
		Long: fmt.Sprintf(`Create a new ES256 signing key. It is published in the JWKS at once and
starts signing %s later, so that resource servers that cache the key set for
300 s learn it first. The previous key stays published until the tokens it
signed have expired.`, tokens.RotationLead),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(store consentry.Store) error {
				m, err := keyManager(g, store, keyFile)
				if err != nil {
					return err
				}
				if err := m.Init(cmd.Context()); err != nil {
					return err
				}
				key, err := m.Rotate(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created signing key %s; it signs from %s\n",
					key.ID, key.ActivatesAt.UTC().Format(time.RFC3339))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&keyFile, "key-file", "", "file holding the key-encryption key")
	return cmd
}

func newKeysRevokeCommand(g *globalOptions) *cobra.Command {
	var keyFile string
	cmd := &cobra.Command{
		Use:   "revoke KID",
		Short: "Withdraw a compromised signing key at once",
		Long: `Withdraw a signing key at once: tokens it signed stop validating at Consentry
within seconds. When no other key may sign, a replacement that signs at once is
created, and resource servers must fetch the key set again.`,
		Args: oneArgument("KID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(cmd.Context(), func(store consentry.Store) error {
				return revokeKey(cmd.Context(), cmd.OutOrStdout(), g, store, keyFile, args[0])
			})
		},
	}
	cmd.Flags().StringVar(&keyFile, "key-file", "", "file holding the key-encryption key")
	return cmd
}

func revokeKey(ctx context.Context, out io.Writer, g *globalOptions, store consentry.Store, keyFile, kid string) error {
	m, err := keyManager(g, store, keyFile)
	if err != nil {
		return err
	}
	replacement, err := m.Revoke(ctx, kid)
	if errors.Is(err, consentry.ErrNotFound) {
		return fmt.Errorf("signing key %q not found: see consentry keys list", kid)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "revoked signing key %s\n", kid)
	if replacement != nil {
		fmt.Fprintf(out, "created replacement signing key %s, signing at once\n", replacement.ID)
	}
	return nil
}
