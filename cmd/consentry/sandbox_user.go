package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/providers/sandbox"
	"github.com/spf13/cobra"
)

// maxUsernameLength bounds sandbox user names, which the sign-in page echoes.
const maxUsernameLength = 128

func newSandboxUserCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox-user",
		Short: "Manage the users of sandbox providers",
	}
	cmd.AddCommand(newSandboxUserCreateCommand(g))
	return cmd
}

type sandboxUserCreateOptions struct {
	provider      string
	username      string
	passwordStdin bool
}

func newSandboxUserCreateCommand(g *globalOptions) *cobra.Command {
	o := &sandboxUserCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Add a user to a sandbox provider",
		Long: `Add a user to a sandbox provider. The password is read from the first line of
standard input, without its line ending, and stored as an Argon2id hash. There
is no --password flag, because other users of the machine can read command
lines (ps).`,
		Example: `  printf '%s\n' "$PASSWORD" | consentry sandbox-user create \
    --provider 1000 --username demo --password-stdin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, g)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.provider, "provider", "", "id of the sandbox provider")
	f.StringVar(&o.username, "username", "", "user name to sign in with")
	f.BoolVar(&o.passwordStdin, "password-stdin", false,
		"read the password from the first line of standard input")
	for _, name := range []string{"provider", "username", "password-stdin"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func (o *sandboxUserCreateOptions) run(cmd *cobra.Command, g *globalOptions) error {
	// A required bool flag set to false by the command line or environment
	// still has to be rejected, because the password has no other source.
	if !o.passwordStdin {
		return errors.New("missing password: pass --password-stdin and write the password " +
			"on standard input")
	}
	if err := validateUsername(o.username); err != nil {
		return err
	}
	password, err := readLine(cmd.InOrStdin())
	if err != nil {
		return fmt.Errorf("read password from standard input: %w", err)
	}
	if password == "" {
		return errors.New("empty password: write the password on the first line " +
			"of standard input")
	}
	err = g.withStore(cmd.Context(), func(store consentry.Store) error {
		return o.createUser(cmd.Context(), store, password)
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "Created user %s at sandbox provider %s.\n",
		o.username, o.provider)
	return err
}

func (o *sandboxUserCreateOptions) createUser(ctx context.Context, store consentry.Store,
	password string) error {
	provider, err := store.GetProvider(ctx, o.provider)
	if errors.Is(err, consentry.ErrNotFound) {
		return fmt.Errorf("provider %q %w: see 'consentry provider list' for the registered ids",
			o.provider, consentry.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("get provider %q: %w", o.provider, err)
	}
	if provider.Kind != consentry.ProviderSandbox {
		return fmt.Errorf("provider %q is of kind %s: only sandbox providers have their own users",
			o.provider, provider.Kind)
	}
	// HashPassword's errors (a password over its size limit) name their
	// context already.
	hash, err := sandbox.HashPassword(password)
	if err != nil {
		return err
	}
	err = store.CreateSandboxUser(ctx, consentry.SandboxUser{
		ProviderID:   o.provider,
		Username:     o.username,
		PasswordHash: hash,
		CreatedAt:    time.Now().UTC(),
	})
	if errors.Is(err, consentry.ErrConflict) {
		return fmt.Errorf("user %q exists already at provider %q: choose another --username",
			o.username, o.provider)
	}
	if err != nil {
		return fmt.Errorf("create sandbox user: %w", err)
	}
	return nil
}

func validateUsername(name string) error {
	switch {
	case name == "":
		return errors.New("missing user name: set --username")
	case len(name) > maxUsernameLength:
		return fmt.Errorf("user name is %d bytes long: use at most %d", len(name), maxUsernameLength)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("invalid user name %q: remove the leading and trailing spaces", name)
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("invalid user name %q: remove the control characters", name)
	}
	return nil
}

// readLine returns the first line of r without its "\n" or "\r\n" ending. The
// last line of a stream may lack the ending.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	return line, nil
}
