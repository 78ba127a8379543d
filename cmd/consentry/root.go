package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envPrefix starts the name of the environment variable behind every flag.
const envPrefix = "CONSENTRY_"

// envHelp is appended to the help of every command that has flags.
const envHelp = `Every flag can also be set by an environment variable: CONSENTRY_ followed by
the flag name in upper case with '-' replaced by '_' (--refresh-grace is
CONSENTRY_REFRESH_GRACE). A repeatable flag takes a comma-separated list, an
empty variable counts as unset, and a flag given on the command line takes
precedence over its variable.`

// globalOptions holds the flags that every command inherits.
type globalOptions struct {
	// DB is the database to use, empty when neither --db nor CONSENTRY_DB is set.
	DB string
	// lookupEnv reads the environment: os.LookupEnv, or a map in tests.
	lookupEnv func(string) (string, bool)
}

// newRootCommand builds the consentry command tree, reading flag defaults from
// the process environment.
func newRootCommand() *cobra.Command {
	return newRootCommandWithEnv(os.LookupEnv)
}

// newRootCommandWithEnv builds the command tree with lookupEnv in place of
// os.LookupEnv, so that tests can supply variables without touching the
// process environment.
func newRootCommandWithEnv(lookupEnv func(string) (string, bool)) *cobra.Command {
	g := &globalOptions{lookupEnv: lookupEnv}
	root := &cobra.Command{
		Use:   "consentry",
		Short: "OAuth 2.0 authorization server for open-banking data sharing",
		Long: `Consentry lets data recipients (OAuth clients) obtain an end user's consent to
read that user's data at a data provider, and issues and revokes the tokens.`,
		// run prints the error once, and the usage only for a usageError.
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return prepareFlags(cmd, lookupEnv)
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{err: err}
	})
	root.PersistentFlags().StringVar(&g.DB, "db", "",
		"database: sqlite:PATH, sqlite::memory: or a postgres:// URL")
	root.AddCommand(
		newServeCommand(g),
		newMigrateCommand(g),
		newClientCommand(g),
		newProviderCommand(g),
		newSandboxUserCommand(g),
		newConnectionCommand(g),
		newKeysCommand(g),
	)
	finishTree(root)
	return root
}

// usageError is an invalid command line: a bad flag, argument or flag
// variable. run prints the command's usage after it.
type usageError struct {
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// oneArgument accepts exactly one positional argument, called name in the
// error message.
func oneArgument(name string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("expected one %s argument, got %d", name, len(args))
		}
		return nil
	}
}

// prepareFlags fills every flag that the command line left unset from its
// environment variable, then checks required flags.
func prepareFlags(cmd *cobra.Command, lookupEnv func(string) (string, bool)) error {
	var errs []error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err := applyEnv(cmd.Flags(), f, lookupEnv); err != nil {
			errs = append(errs, err)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return &usageError{err: err}
	}
	if err := checkRequiredFlags(cmd); err != nil {
		return &usageError{err: err}
	}
	return nil
}

func applyEnv(flags *pflag.FlagSet, f *pflag.Flag, lookupEnv func(string) (string, bool)) error {
	if f.Changed || f.Name == "help" {
		return nil
	}
	name := flagEnvName(f)
	value, ok := lookupEnv(name)
	if !ok || value == "" {
		return nil
	}
	values := []string{value}
	if _, repeatable := f.Value.(pflag.SliceValue); repeatable {
		values = strings.Split(value, ",")
	}
	for _, v := range values {
		if err := flags.Set(f.Name, strings.TrimSpace(v)); err != nil {
			return fmt.Errorf("invalid %s for --%s: %w", name, f.Name, err)
		}
	}
	return nil
}

// envAnnotation names a flag annotation that gives the flag a variable of
// its own, for a flag whose usual name would collide with a serve flag.
const envAnnotation = "consentry_env"

// flagEnvName returns the environment variable behind a flag.
func flagEnvName(f *pflag.Flag) string {
	if names := f.Annotations[envAnnotation]; len(names) == 1 {
		return names[0]
	}
	return envName(f.Name)
}

// envName returns the usual environment variable behind a flag name.
func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// checkRequiredFlags reports the first required flag that neither the command
// line nor the environment set.
func checkRequiredFlags(cmd *cobra.Command) error {
	var missing *pflag.Flag
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if missing == nil && isRequired(f) && !f.Changed {
			missing = f
		}
	})
	if missing != nil {
		return fmt.Errorf("missing required flag --%s (or set %s)", missing.Name, flagEnvName(missing))
	}
	return nil
}

func isRequired(f *pflag.Flag) bool {
	values := f.Annotations[cobra.BashCompOneRequiredFlag]
	return len(values) == 1 && values[0] == "true"
}

// finishTree adds the environment variable to the help of every flag in the
// tree and the variable rules to the help of every command that runs, makes
// an unknown subcommand an error, and marks argument errors as usage errors.
func finishTree(root *cobra.Command) {
	described := map[*pflag.Flag]bool{}
	describe := func(f *pflag.Flag) {
		if described[f] || f.Name == "help" {
			return
		}
		described[f] = true
		if isRequired(f) {
			f.Usage += " (required)"
		}
		f.Usage += fmt.Sprintf(" [$%s]", flagEnvName(f))
	}
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		// Before execution, Flags contains only the command's own flags. The
		// inherited ones are described at the command that declares them.
		cmd.Flags().VisitAll(describe)
		cmd.PersistentFlags().VisitAll(describe)
		if cmd.HasSubCommands() && !cmd.Runnable() && cmd.HasParent() {
			// Without this, cobra prints the help and exits 0 for an
			// unknown subcommand such as "client crate".
			cmd.Args = cobra.NoArgs
			cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
			cmd.DisableFlagsInUseLine = true
		} else if cmd.Runnable() {
			long := cmd.Long
			if long == "" {
				long = cmd.Short + "."
			}
			cmd.Long = long + "\n\n" + envHelp
		}
		if check := cmd.Args; check != nil {
			cmd.Args = func(cmd *cobra.Command, args []string) error {
				if err := check(cmd, args); err != nil {
					return &usageError{err: err}
				}
				return nil
			}
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
