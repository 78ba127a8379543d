package main

import (
	"fmt"

	"github.com/consentry/consentry"
	"github.com/spf13/cobra"
)

func newMigrateCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending schema migrations and exit",
		Long: `Apply the pending schema migrations to the database and exit. Running it again
changes nothing. The other commands apply pending migrations themselves, and
serve does so at start unless --no-migrate is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// withStore applies the migrations before it calls the function.
			return g.withStore(cmd.Context(), func(consentry.Store) error {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), "The database schema is up to date.")
				return err
			})
		},
	}
}
