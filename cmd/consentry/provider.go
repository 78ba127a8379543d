package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/consentry/consentry"
	"github.com/spf13/cobra"
)

func newProviderCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "provider",
		Short: "Register and list data providers (banks)",
	}
	cmd.AddCommand(newProviderCreateCommand(g), newProviderListCommand(g))
	return cmd
}

type providerCreateOptions struct {
	id      string
	name    string
	country string
	kind    string
	scopes  []string
	json    bool

	// Settings of an upstream bank (--kind oauth2), parsed but not yet used.
	issuerURL                 string
	upstreamClientID          string
	upstreamClientSecretStdin bool
	upstreamScopes            []string
	upstreamAuthParams        []string
	upstreamSubject           string
}

// upstreamFlags are the flags that only --kind oauth2 takes.
var upstreamFlags = []string{
	"issuer-url", "upstream-client-id", "upstream-client-secret-stdin",
	"upstream-scope", "upstream-auth-param", "upstream-subject",
}

func newProviderCreateCommand(g *globalOptions) *cobra.Command {
	o := &providerCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Register a data provider",
		Long: `Register a data provider. A sandbox provider (--kind sandbox) is a built-in
test bank whose users are added with sandbox-user create. Upstream banks
(--kind oauth2) are not supported yet.`,
		Example: `  consentry provider create --id 1000 --name "Sandbox Bank" --country CA --kind sandbox`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, g)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.id, "id", "", "provider_id: 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'")
	f.StringVar(&o.name, "name", "", "display name, shown to end users")
	f.StringVar(&o.country, "country", "", "country: CA or US")
	f.StringVar(&o.kind, "kind", "", "kind: sandbox (oauth2 is not supported yet)")
	f.StringArrayVar(&o.scopes, "scope", nil, "user-data scope the provider offers; several may be "+
		"space-separated (repeatable; default every user-data scope)")
	f.BoolVar(&o.json, "json", false, "print the provider as a JSON object")
	f.StringVar(&o.issuerURL, "issuer-url", "", "issuer URL of the upstream bank (--kind oauth2)")
	f.StringVar(&o.upstreamClientID, "upstream-client-id", "",
		"Consentry's client_id at the upstream bank (--kind oauth2)")
	f.BoolVar(&o.upstreamClientSecretStdin, "upstream-client-secret-stdin", false,
		"read Consentry's client secret at the upstream bank from standard input (--kind oauth2)")
	f.StringArrayVar(&o.upstreamScopes, "upstream-scope", nil,
		"scope to request from the upstream bank (repeatable; --kind oauth2)")
	f.StringArrayVar(&o.upstreamAuthParams, "upstream-auth-param", nil,
		"KEY=VALUE added to the upstream authorization request (repeatable; --kind oauth2)")
	f.StringVar(&o.upstreamSubject, "upstream-subject", "", "how the upstream bank identifies "+
		"the user: id_token, userinfo, jwt_access_token or introspection (--kind oauth2)")
	for _, name := range []string{"id", "name", "country", "kind"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func (o *providerCreateOptions) run(cmd *cobra.Command, g *globalOptions) error {
	if err := o.checkKind(cmd); err != nil {
		return err
	}
	provider := consentry.Provider{
		ID:        o.id,
		Name:      o.name,
		Country:   strings.ToUpper(o.country),
		Kind:      consentry.ProviderKind(o.kind),
		Scopes:    parseScopeFlags(o.scopes),
		CreatedAt: time.Now().UTC(),
	}
	if len(o.scopes) == 0 {
		provider.Scopes = slices.Clone(consentry.UserDataScopes)
	}
	if err := consentry.ValidateProvider(provider); err != nil {
		return &registrationError{entity: "provider", err: err}
	}
	err := g.withStore(cmd.Context(), func(store consentry.Store) error {
		err := store.CreateProvider(cmd.Context(), provider)
		if errors.Is(err, consentry.ErrConflict) {
			return fmt.Errorf("provider id %q is taken: choose another --id", provider.ID)
		}
		if err != nil {
			return fmt.Errorf("create provider: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(cmd.OutOrStdout(), newProviderJSON(provider))
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "Created %s provider %s (%s, %s).\n",
		provider.Kind, provider.ID, provider.Name, provider.Country)
	return err
}

// checkKind rejects upstream banks, which this version cannot sign users in
// with, and upstream flags on a sandbox provider.
func (o *providerCreateOptions) checkKind(cmd *cobra.Command) error {
	switch consentry.ProviderKind(o.kind) {
	case consentry.ProviderOAuth2:
		return errors.New("upstream providers (--kind oauth2) are not supported yet: " +
			"register a sandbox provider with --kind sandbox")
	case consentry.ProviderSandbox:
		for _, name := range upstreamFlags {
			if cmd.Flags().Changed(name) {
				return fmt.Errorf("--%s applies only to --kind oauth2: remove it for a "+
					"sandbox provider", name)
			}
		}
		return nil
	default:
		return fmt.Errorf("unknown provider kind %q: use --kind sandbox", o.kind)
	}
}

// providerJSON is the JSON form of a provider.
type providerJSON struct {
	ProviderID string    `json:"provider_id"`
	Name       string    `json:"name"`
	Country    string    `json:"country"`
	Kind       string    `json:"kind"`
	Scopes     []string  `json:"scopes"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
}

func newProviderJSON(p consentry.Provider) providerJSON {
	return providerJSON{
		ProviderID: p.ID,
		Name:       p.Name,
		Country:    p.Country,
		Kind:       string(p.Kind),
		Scopes:     nonNil(p.Scopes),
		Disabled:   p.Disabled,
		CreatedAt:  p.CreatedAt.UTC(),
	}
}

func newProviderListCommand(g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the registered providers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(store consentry.Store) error {
				providers, err := store.ListProviders(cmd.Context())
				if err != nil {
					return fmt.Errorf("list providers: %w", err)
				}
				if asJSON {
					out := make([]providerJSON, 0, len(providers))
					for _, p := range providers {
						out = append(out, newProviderJSON(p))
					}
					return writeJSON(cmd.OutOrStdout(), out)
				}
				return printProviderTable(cmd, providers)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the providers as a JSON array")
	return cmd
}

func printProviderTable(cmd *cobra.Command, providers []consentry.Provider) error {
	if len(providers) == 0 {
		_, err := fmt.Fprintln(cmd.OutOrStdout(), "No providers are registered.")
		return err
	}
	t := newTable(cmd.OutOrStdout())
	fmt.Fprintln(t, "PROVIDER_ID\tNAME\tCOUNTRY\tKIND\tSTATUS\tSCOPES")
	for _, p := range providers {
		status := "enabled"
		if p.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\n",
			p.ID, p.Name, p.Country, p.Kind, status, formatList(p.Scopes))
	}
	return t.Flush()
}
