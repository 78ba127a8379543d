package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
	"github.com/spf13/cobra"
)

func newClientCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "client",
		Short: "Register and manage clients (data recipients)",
	}
	cmd.AddCommand(
		newClientCreateCommand(g),
		newClientListCommand(g),
		newClientShowCommand(g),
		newClientDeleteCommand(g),
		newClientRotateSecretCommand(g),
	)
	return cmd
}

// clientJSON is the JSON form of a client. The secret is set only by the
// commands that generate one, and the secret hash is never shown.
type clientJSON struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Name         string   `json:"name"`
	Public       bool     `json:"public"`
	AuthMethods  []string `json:"token_endpoint_auth_methods"`
	RedirectURIs []string `json:"redirect_uris"`
	GrantTypes   []string `json:"grant_types"`
	Scopes       []string `json:"scopes"`
	Providers    []string `json:"providers"`
	RequirePKCE  bool     `json:"require_pkce"`
	// RefreshGrace is a Go duration such as "10s", omitted when the client
	// uses the server's setting.
	RefreshGrace string    `json:"refresh_grace,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

func newClientJSON(c consentry.Client) clientJSON {
	out := clientJSON{
		ClientID:     c.ID,
		Name:         c.Name,
		Public:       c.Public(),
		AuthMethods:  nonNil(c.AuthMethods),
		RedirectURIs: nonNil(c.RedirectURIs),
		GrantTypes:   nonNil(c.GrantTypes),
		Scopes:       nonNil(c.Scopes),
		Providers:    nonNil(c.Providers),
		RequirePKCE:  c.RequirePKCE,
		CreatedAt:    c.CreatedAt.UTC(),
	}
	if c.RefreshGrace != nil {
		out.RefreshGrace = c.RefreshGrace.String()
	}
	return out
}

type clientCreateOptions struct {
	id           string
	name         string
	redirectURIs []string
	grantTypes   []string
	scopes       []string
	providers    []string
	authMethods  []string
	public       bool
	requirePKCE  bool
	refreshGrace time.Duration
	json         bool
}

func newClientCreateCommand(g *globalOptions) *cobra.Command {
	o := &clientCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Register a client and print its id and secret",
		Long: `Register a client and print its client_id and, for a confidential client, the
generated secret. The secret is shown only this once: Consentry stores its
SHA-256 digest alone. Use client rotate-secret to replace a lost secret.

A confidential client may authenticate with client_secret_basic and
client_secret_post unless --auth-method narrows the list. A public client
(--public) has no secret, authenticates with its client_id alone, and must use
PKCE.

CONSENTRY_REFRESH_GRACE and CONSENTRY_REQUIRE_PKCE also set the serve flags of
the same names: unset them in a shell that runs serve unless this client should
get the same values.`,
		Example: `  consentry client create --name "Budget App" \
    --redirect-uri https://app.example.com/callback \
    --grant-type authorization_code --grant-type refresh_token \
    --scope "ACCOUNT_BASIC TRANSACTIONS" --provider 1000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, g)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.id, "id", "", "client_id to register (default: a generated random id)")
	f.StringVar(&o.name, "name", "", "display name, shown to end users on the consent page")
	f.StringArrayVar(&o.redirectURIs, "redirect-uri", nil,
		"redirect URI, compared as an exact string: https, or http on a loopback host (repeatable)")
	f.StringArrayVar(&o.grantTypes, "grant-type", nil,
		"grant type: authorization_code, refresh_token or client_credentials (repeatable)")
	f.StringArrayVar(&o.scopes, "scope", nil,
		"scope the client may request; several may be space-separated (repeatable)")
	f.StringArrayVar(&o.providers, "provider", nil,
		"id of a provider to register the client with (repeatable)")
	f.StringArrayVar(&o.authMethods, "auth-method", nil,
		"token endpoint authentication method: client_secret_basic or client_secret_post "+
			"(repeatable; default both, or none for --public)")
	f.BoolVar(&o.public, "public", false, "register a public client, which has no secret")
	f.BoolVar(&o.requirePKCE, "require-pkce", false,
		"require PKCE from a confidential client too (public clients always need it)")
	f.DurationVar(&o.refreshGrace, "refresh-grace", 0,
		"refresh retry grace for this client, such as 10s (default: the server's --refresh-grace)")
	f.BoolVar(&o.json, "json", false, "print the client as a JSON object")
	// CONSENTRY_REFRESH_GRACE and CONSENTRY_REQUIRE_PKCE configure serve; a
	// shell that sets them for the server must not change every client it
	// registers, so these two flags read variables of their own.
	f.SetAnnotation("refresh-grace", envAnnotation, []string{"CONSENTRY_CLIENT_REFRESH_GRACE"})
	f.SetAnnotation("require-pkce", envAnnotation, []string{"CONSENTRY_CLIENT_REQUIRE_PKCE"})
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func (o *clientCreateOptions) run(cmd *cobra.Command, g *globalOptions) error {
	client, secret := o.newClient(cmd.Flags().Changed("refresh-grace"))
	if err := client.Validate(); err != nil {
		return &registrationError{entity: "client", err: err}
	}
	err := g.withStore(cmd.Context(), func(store consentry.Store) error {
		if err := checkProvidersExist(cmd.Context(), store, client.Providers); err != nil {
			return err
		}
		err := store.CreateClient(cmd.Context(), client)
		if errors.Is(err, consentry.ErrConflict) {
			return fmt.Errorf("client id %q is taken: choose another --id, or omit --id "+
				"to generate one", client.ID)
		}
		if err != nil {
			return fmt.Errorf("create client: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if o.json {
		out := newClientJSON(client)
		out.ClientSecret = secret
		return writeJSON(cmd.OutOrStdout(), out)
	}
	return printCredentials(cmd, client.ID, secret)
}

// newClient builds the registration from the flags, generating the id unless
// --id is given and the secret unless the client is public.
func (o *clientCreateOptions) newClient(graceSet bool) (consentry.Client, string) {
	client := consentry.Client{
		ID:           o.id,
		Name:         o.name,
		AuthMethods:  unique(o.authMethods),
		RedirectURIs: unique(o.redirectURIs),
		GrantTypes:   unique(o.grantTypes),
		Scopes:       parseScopeFlags(o.scopes),
		Providers:    unique(o.providers),
		RequirePKCE:  o.requirePKCE,
		CreatedAt:    time.Now().UTC(),
	}
	if client.ID == "" {
		client.ID = newClientID()
	}
	if graceSet {
		grace := o.refreshGrace
		client.RefreshGrace = &grace
	}
	if o.public {
		if len(client.AuthMethods) == 0 {
			client.AuthMethods = []string{consentry.AuthMethodNone}
		}
		return client, ""
	}
	if len(client.AuthMethods) == 0 {
		client.AuthMethods = []string{consentry.AuthMethodBasic, consentry.AuthMethodPost}
	}
	secret := tokens.NewSecret()
	client.SecretHash = tokens.Hash(secret)
	return client, secret
}

// newClientID returns a random client id that does not start with '-', which
// the command line would take for a flag in "client show ID".
func newClientID() string {
	for {
		if id := tokens.NewID(); !strings.HasPrefix(id, "-") {
			return id
		}
	}
}

// checkProvidersExist reports every provider id that is not stored.
func checkProvidersExist(ctx context.Context, store consentry.Store, ids []string) error {
	var errs []error
	for _, id := range ids {
		_, err := store.GetProvider(ctx, id)
		switch {
		case errors.Is(err, consentry.ErrNotFound):
			errs = append(errs, fmt.Errorf("unknown provider %q: create it with "+
				"'consentry provider create' or see 'consentry provider list'", id))
		case err != nil:
			return fmt.Errorf("get provider %q: %w", id, err)
		}
	}
	if len(errs) > 0 {
		return &registrationError{entity: "client", err: errors.Join(errs...)}
	}
	return nil
}

// printCredentials prints the client id and secret on standard output and a
// reminder on standard error, so that a script can capture the credentials
// alone.
func printCredentials(cmd *cobra.Command, clientID, secret string) error {
	w := cmd.OutOrStdout()
	if secret == "" {
		_, err := fmt.Fprintf(w, "client_id: %s\n", clientID)
		fmt.Fprintln(cmd.ErrOrStderr(),
			"This is a public client: it has no secret and must use PKCE.")
		return err
	}
	_, err := fmt.Fprintf(w, "client_id:     %s\nclient_secret: %s\n", clientID, secret)
	fmt.Fprintln(cmd.ErrOrStderr(),
		"Store the client secret now: it is shown only once and cannot be recovered.")
	return err
}

// printClient writes the fields of a client as aligned "key: value" lines.
func printClient(w io.Writer, c consentry.Client) error {
	kind := "confidential"
	if c.Public() {
		kind = "public"
	}
	grace := "server default"
	if c.RefreshGrace != nil {
		grace = c.RefreshGrace.String()
	}
	pkce := "no"
	if c.RequirePKCE || c.Public() {
		pkce = "yes"
	}
	t := newTable(w)
	fmt.Fprintf(t, "client_id:\t%s\n", c.ID)
	fmt.Fprintf(t, "name:\t%s\n", c.Name)
	fmt.Fprintf(t, "type:\t%s\n", kind)
	fmt.Fprintf(t, "auth methods:\t%s\n", formatList(c.AuthMethods))
	fmt.Fprintf(t, "redirect URIs:\t%s\n", strings.Join(nonEmpty(c.RedirectURIs), "\n\t"))
	fmt.Fprintf(t, "grant types:\t%s\n", formatList(c.GrantTypes))
	fmt.Fprintf(t, "scopes:\t%s\n", formatList(c.Scopes))
	fmt.Fprintf(t, "providers:\t%s\n", formatList(c.Providers))
	fmt.Fprintf(t, "requires PKCE:\t%s\n", pkce)
	fmt.Fprintf(t, "refresh grace:\t%s\n", grace)
	fmt.Fprintf(t, "created:\t%s\n", formatTime(c.CreatedAt))
	return t.Flush()
}

// nonEmpty returns values, or a single "-" for none.
func nonEmpty(values []string) []string {
	if len(values) == 0 {
		return []string{"-"}
	}
	return values
}
