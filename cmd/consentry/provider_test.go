package main

import (
	"strings"
	"testing"

	"github.com/consentry/consentry"
)

func TestProviderCreateAndList(t *testing.T) {
	c := newCLI(t)
	var created providerJSON
	decodeJSON(t, c.mustRun("", "provider", "create", "--id", "2000", "--name", "Maple Bank",
		"--country", "us", "--kind", "sandbox", "--json"), &created)
	checkStrings(t, "default scopes", created.Scopes, consentry.UserDataScopes)
	checkStrings(t, "country", []string{created.Country}, []string{"US"})

	r := c.mustRun("", "provider", "create", "--id", "1000", "--name", "Sandbox Bank",
		"--country", "CA", "--kind", "sandbox", "--scope", "ACCOUNT_BASIC TRANSACTIONS")
	if want := "Created sandbox provider 1000 (Sandbox Bank, CA).\n"; r.stdout != want {
		t.Errorf("provider create: got %q, want %q", r.stdout, want)
	}

	var list []providerJSON
	decodeJSON(t, c.mustRun("", "provider", "list", "--json"), &list)
	if len(list) != 2 {
		t.Fatalf("provider list: got %d providers, want 2", len(list))
	}
	first := list[0]
	if first.ProviderID != "1000" || first.Name != "Sandbox Bank" || first.Country != "CA" ||
		first.Kind != "sandbox" || first.Disabled {
		t.Errorf("first provider: got %+v, want enabled sandbox 1000, Sandbox Bank, CA", first)
	}
	checkStrings(t, "scopes of 1000", first.Scopes, []string{"ACCOUNT_BASIC", "TRANSACTIONS"})
	if list[1].ProviderID != "2000" {
		t.Errorf("second provider: got %q, want 2000", list[1].ProviderID)
	}

	text := c.mustRun("", "provider", "list").stdout
	for _, want := range []string{"PROVIDER_ID", "Maple Bank", "enabled", "ACCOUNT_BASIC TRANSACTIONS"} {
		if !strings.Contains(text, want) {
			t.Errorf("provider list: got %q, want it to contain %q", text, want)
		}
	}
}

func TestProviderListEmpty(t *testing.T) {
	c := newCLI(t)
	if got := c.mustRun("", "provider", "list").stdout; got != "No providers are registered.\n" {
		t.Errorf("provider list: got %q, want the no-providers sentence", got)
	}
	if got := strings.TrimSpace(c.mustRun("", "provider", "list", "--json").stdout); got != "[]" {
		t.Errorf("provider list --json: got %q, want []", got)
	}
}

func TestProviderCreateErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "oauth2",
			args: []string{"--kind", "oauth2", "--issuer-url", "https://auth.bank.example",
				"--upstream-client-id", "consentry", "--upstream-client-secret-stdin",
				"--upstream-scope", "openid", "--upstream-auth-param", "resource=x",
				"--upstream-subject", "id_token"},
			want: "upstream providers (--kind oauth2) are not supported yet",
		},
		{name: "unknown kind", args: []string{"--kind", "ldap"}, want: `unknown provider kind "ldap"`},
		{
			name: "upstream flag on sandbox",
			args: []string{"--kind", "sandbox", "--issuer-url", "https://auth.bank.example"},
			want: "--issuer-url applies only to --kind oauth2",
		},
		{
			name: "unknown country",
			args: []string{"--kind", "sandbox", "--country", "FR"},
			want: `invalid country "FR": use CA or US`,
		},
		{
			name: "management scope",
			args: []string{"--kind", "sandbox", "--scope", "ACCOUNT_BASIC client:admin"},
			want: `unknown scope "client:admin"`,
		},
		{
			name: "invalid id",
			args: []string{"--kind", "sandbox", "--id", "bank 1"},
			want: `invalid provider id "bank 1"`,
		},
		{name: "missing kind", args: nil, want: "missing required flag --kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			// Later flags override these defaults.
			args := append([]string{"provider", "create", "--id", "3000", "--name", "Bank",
				"--country", "CA"}, tt.args...)
			c.mustFail(tt.want, args...)
		})
	}
}

func TestProviderCreateDuplicateID(t *testing.T) {
	c := newCLI(t)
	c.createSandboxProvider("1000")
	c.mustFail(`provider id "1000" is taken`, "provider", "create", "--id", "1000",
		"--name", "Other", "--country", "US", "--kind", "sandbox")
}
