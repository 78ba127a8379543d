package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func noEnv(string) (string, bool) { return "", false }

func TestMigrate(t *testing.T) {
	c := newCLI(t)
	for range 2 {
		r := c.mustRun("", "migrate")
		if want := "The database schema is up to date.\n"; r.stdout != want {
			t.Errorf("migrate printed %q, want %q", r.stdout, want)
		}
	}
}

func TestFreshDatabaseNeedsNoMigrate(t *testing.T) {
	c := newCLI(t)
	r := c.mustRun("", "client", "list", "--json")
	if got := strings.TrimSpace(r.stdout); got != "[]" {
		t.Errorf("client list on a new database printed %q, want []", got)
	}
}

func TestDBFromProcessEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env.db")
	t.Setenv("CONSENTRY_DB", "sqlite:"+path)
	t.Setenv("CONSENTRY_JSON", "true")
	r := execute(newRootCommand(), "", "provider", "create",
		"--id", "1000", "--name", "Sandbox Bank", "--country", "CA", "--kind", "sandbox")
	if r.err != nil {
		t.Fatalf("provider create with CONSENTRY_DB: got error %v, want none", r.err)
	}
	if !strings.HasPrefix(strings.TrimSpace(r.stdout), "{") {
		t.Errorf("CONSENTRY_JSON=true: got output %q, want a JSON object", r.stdout)
	}

	// The provider landed in the file that CONSENTRY_DB names.
	c := &cli{t: t, path: path, env: map[string]string{}}
	var providers []providerJSON
	decodeJSON(t, c.mustRun("", "provider", "list", "--json"), &providers)
	if len(providers) != 1 || providers[0].ProviderID != "1000" {
		t.Errorf("providers in the CONSENTRY_DB file: got %+v, want provider 1000", providers)
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	c := newCLI(t)
	c.env["CONSENTRY_NAME"] = "Name From Env"
	c.env["CONSENTRY_GRANT_TYPE"] = "authorization_code, refresh_token"
	c.env["CONSENTRY_REDIRECT_URI"] = "https://app.example.com/a,https://app.example.com/b"
	c.env["CONSENTRY_SCOPE"] = "ACCOUNT_BASIC,TRANSACTIONS STATEMENTS"
	c.env["CONSENTRY_CLIENT_REFRESH_GRACE"] = "7s"
	c.env["CONSENTRY_REFRESH_GRACE"] = "1h"
	c.env["CONSENTRY_JSON"] = "1"
	c.env["CONSENTRY_ID"] = ""

	var got clientJSON
	decodeJSON(t, c.mustRun("", "client", "create"), &got)
	checkStrings(t, "name", []string{got.Name}, []string{"Name From Env"})
	checkStrings(t, "grant types", got.GrantTypes, []string{"authorization_code", "refresh_token"})
	checkStrings(t, "redirect URIs", got.RedirectURIs,
		[]string{"https://app.example.com/a", "https://app.example.com/b"})
	checkStrings(t, "scopes", got.Scopes, []string{"ACCOUNT_BASIC", "TRANSACTIONS", "STATEMENTS"})
	checkStrings(t, "refresh grace", []string{got.RefreshGrace}, []string{"7s"})
	if got.ClientID == "" {
		t.Error("empty CONSENTRY_ID: got an empty client_id, want a generated one")
	}
}

func TestFlagOverridesEnvironment(t *testing.T) {
	c := newCLI(t)
	c.env["CONSENTRY_NAME"] = "Name From Env"
	c.env["CONSENTRY_SCOPE"] = "TRANSACTIONS"
	var got clientJSON
	decodeJSON(t, c.mustRun("", "client", "create", "--name", "Name From Flag",
		"--grant-type", "client_credentials", "--scope", "client:admin", "--json"), &got)
	checkStrings(t, "name", []string{got.Name}, []string{"Name From Flag"})
	checkStrings(t, "scopes", got.Scopes, []string{"client:admin"})
}

func TestInvalidEnvironmentValue(t *testing.T) {
	c := newCLI(t)
	c.env["CONSENTRY_CLIENT_REFRESH_GRACE"] = "soon"
	r := c.mustFail("invalid CONSENTRY_CLIENT_REFRESH_GRACE for --refresh-grace", "client", "create",
		"--name", "App", "--grant-type", "client_credentials", "--scope", "client:admin")
	var usage *usageError
	if !errors.As(r.err, &usage) {
		t.Errorf("invalid variable: got %T, want a usageError", r.err)
	}
}

func TestRequiredFlagMessage(t *testing.T) {
	c := newCLI(t)
	r := c.mustFail("missing required flag --name (or set CONSENTRY_NAME)", "client", "create",
		"--grant-type", "client_credentials", "--scope", "client:admin")
	var usage *usageError
	if !errors.As(r.err, &usage) {
		t.Errorf("missing flag: got %T, want a usageError", r.err)
	}
}

func TestRunPrintsErrorOnce(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantError string
		wantUsage bool
	}{
		{
			name:      "unknown flag",
			args:      []string{"client", "list", "--colour"},
			wantError: "consentry: unknown flag: --colour\n",
			wantUsage: true,
		},
		{
			name:      "missing argument",
			args:      []string{"client", "show"},
			wantError: "consentry: expected one CLIENT_ID argument, got 0\n",
			wantUsage: true,
		},
		{
			name:      "extra argument",
			args:      []string{"client", "list", "extra"},
			wantError: `consentry: unknown command "extra" for "consentry client list"` + "\n",
			wantUsage: true,
		},
		{
			name:      "unknown subcommand",
			args:      []string{"client", "crate"},
			wantError: `consentry: unknown command "crate" for "consentry client"` + "\n",
			wantUsage: true,
		},
		{
			name: "runtime error",
			args: []string{"client", "show", "nobody"},
			wantError: `consentry: client "nobody" not found: see 'consentry client list' ` +
				"for the registered ids\n",
			wantUsage: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			root := newRootCommandWithEnv(noEnv)
			var stdout, stderr bytes.Buffer
			root.SetOut(&stdout)
			root.SetErr(&stderr)
			root.SetArgs(append(tt.args, "--db", c.dsn()))
			if code := run(context.Background(), root, &stderr); code != 1 {
				t.Errorf("exit code: got %d, want 1", code)
			}
			got := stderr.String()
			if !strings.HasPrefix(got, tt.wantError) {
				t.Errorf("stderr: got %q, want it to start with %q", got, tt.wantError)
			}
			if strings.Count(got, "consentry: ") != 1 {
				t.Errorf("stderr: got %q, want the error printed once", got)
			}
			if usage := strings.Contains(got, "Usage:"); usage != tt.wantUsage {
				t.Errorf("usage printed: got %v, want %v (stderr %q)", usage, tt.wantUsage, got)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: got %q, want nothing", stdout.String())
			}
		})
	}
}

func TestRunSucceeds(t *testing.T) {
	c := newCLI(t)
	root := newRootCommandWithEnv(noEnv)
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetArgs([]string{"migrate", "--db", c.dsn()})
	if code := run(context.Background(), root, &stderr); code != 0 {
		t.Errorf("exit code: got %d, want 0 (stderr %q)", code, stderr.String())
	}
}

func TestHelpNamesVariables(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{
			args: []string{"client", "create", "--help"},
			want: []string{"[$CONSENTRY_REDIRECT_URI]", "[$CONSENTRY_DB]", "(required)",
				"comma-separated list", "[$CONSENTRY_CLIENT_REFRESH_GRACE]"},
		},
		{args: []string{"migrate", "--help"}, want: []string{"[$CONSENTRY_DB]", "CONSENTRY_"}},
		{
			args: []string{"sandbox-user", "create", "--help"},
			want: []string{"[$CONSENTRY_PASSWORD_STDIN]", "no --password flag"},
		},
		{args: []string{"connection", "list", "--help"}, want: []string{"[$CONSENTRY_CLIENT]"}},
		{args: []string{"provider", "list", "--help"}, want: []string{"[$CONSENTRY_JSON]"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:len(tt.args)-1], " "), func(t *testing.T) {
			r := execute(newRootCommandWithEnv(noEnv), "", tt.args...)
			if r.err != nil {
				t.Fatalf("got error %v, want none", r.err)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("help: got %q, want it to contain %q", r.stdout, w)
				}
			}
		})
	}
}

// checkStrings fails unless got equals want element by element.
func checkStrings(t *testing.T, field string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %q, want %q", field, got, want)
	}
}
