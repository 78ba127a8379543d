package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

// webClientArgs registers a confidential web client with provider 1000.
var webClientArgs = []string{
	"client", "create", "--name", "Budget App",
	"--redirect-uri", "https://app.example.com/callback",
	"--redirect-uri", "http://127.0.0.1:8081/callback",
	"--grant-type", "authorization_code", "--grant-type", "refresh_token",
	"--grant-type", "client_credentials",
	"--scope", "ACCOUNT_BASIC TRANSACTIONS", "--scope", "client:admin",
	"--provider", "1000",
}

func (c *cli) createSandboxProvider(id string) {
	c.t.Helper()
	c.mustRun("", "provider", "create", "--id", id, "--name", "Bank "+id,
		"--country", "CA", "--kind", "sandbox")
}

// createClient runs client create with args and --json and returns the output.
func (c *cli) createClient(args ...string) clientJSON {
	c.t.Helper()
	var out clientJSON
	decodeJSON(c.t, c.mustRun("", append(args, "--json")...), &out)
	return out
}

func (c *cli) storedClient(id string) consentry.Client {
	c.t.Helper()
	client, err := c.openTestStore().GetClient(context.Background(), id)
	if err != nil {
		c.t.Fatalf("get client %q: %v", id, err)
	}
	return client
}

func TestClientCreateConfidential(t *testing.T) {
	c := newCLI(t)
	c.createSandboxProvider("1000")
	got := c.createClient(webClientArgs...)

	if len(got.ClientSecret) != 43 {
		t.Errorf("client_secret %q: got %d characters, want 43 (256 bits, base64url)",
			got.ClientSecret, len(got.ClientSecret))
	}
	if got.ClientID == "" {
		t.Error("client_id: got empty, want a generated id")
	}
	checkStrings(t, "auth methods", got.AuthMethods,
		[]string{"client_secret_basic", "client_secret_post"})
	checkStrings(t, "scopes", got.Scopes, []string{"ACCOUNT_BASIC", "TRANSACTIONS", "client:admin"})
	checkStrings(t, "providers", got.Providers, []string{"1000"})
	if got.Public {
		t.Error("public: got true, want false")
	}

	stored := c.storedClient(got.ClientID)
	if !bytes.Equal(stored.SecretHash, tokens.Hash(got.ClientSecret)) {
		t.Errorf("stored secret hash %x, want the SHA-256 digest of the printed secret",
			stored.SecretHash)
	}
}

func TestClientCreatePublic(t *testing.T) {
	c := newCLI(t)
	r := c.mustRun("", "client", "create", "--public", "--id", "mobile-app", "--name", "Mobile",
		"--redirect-uri", "http://localhost:8081/callback", "--grant-type", "authorization_code",
		"--scope", "ACCOUNT_BASIC", "--json")
	if strings.Contains(r.stdout, `"client_secret":`) {
		t.Errorf("public client output %q contains client_secret, want none", r.stdout)
	}
	var got clientJSON
	decodeJSON(t, r, &got)
	checkStrings(t, "client_id", []string{got.ClientID}, []string{"mobile-app"})
	checkStrings(t, "auth methods", got.AuthMethods, []string{"none"})
	if !got.Public {
		t.Error("public: got false, want true")
	}
	if stored := c.storedClient("mobile-app"); len(stored.SecretHash) != 0 {
		t.Errorf("stored secret hash %x, want none for a public client", stored.SecretHash)
	}
}

func TestClientCreateText(t *testing.T) {
	c := newCLI(t)
	r := c.mustRun("", "client", "create", "--id", "svc", "--name", "Service",
		"--grant-type", "client_credentials", "--scope", "client:admin")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || lines[0] != "client_id:     svc" ||
		!strings.HasPrefix(lines[1], "client_secret: ") {
		t.Fatalf("client create printed %q, want client_id and client_secret lines", r.stdout)
	}
	secret := strings.TrimPrefix(lines[1], "client_secret: ")
	if !bytes.Equal(c.storedClient("svc").SecretHash, tokens.Hash(secret)) {
		t.Error("stored secret hash does not match the printed secret")
	}
	if !strings.Contains(r.stderr, "shown only once") {
		t.Errorf("stderr %q: want a reminder that the secret is shown once", r.stderr)
	}
}

func TestClientCreateOptions(t *testing.T) {
	c := newCLI(t)
	got := c.createClient("client", "create", "--name", "Narrow", "--grant-type",
		"client_credentials", "--scope", "client:admin", "--auth-method", "client_secret_post",
		"--require-pkce", "--refresh-grace", "1m30s")
	checkStrings(t, "auth methods", got.AuthMethods, []string{"client_secret_post"})
	checkStrings(t, "refresh grace", []string{got.RefreshGrace}, []string{"1m30s"})
	if !got.RequirePKCE {
		t.Error("require_pkce: got false, want true")
	}
	stored := c.storedClient(got.ClientID)
	if stored.RefreshGrace == nil || stored.RefreshGrace.String() != "1m30s" {
		t.Errorf("stored refresh grace: got %v, want 1m30s", stored.RefreshGrace)
	}

	plain := c.createClient("client", "create", "--name", "Plain", "--grant-type",
		"client_credentials", "--scope", "client:admin")
	if plain.RefreshGrace != "" {
		t.Errorf("refresh_grace without the flag: got %q, want it omitted", plain.RefreshGrace)
	}
	if stored := c.storedClient(plain.ClientID); stored.RefreshGrace != nil {
		t.Errorf("stored refresh grace without the flag: got %v, want nil", *stored.RefreshGrace)
	}
}

func TestClientCreateErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "unknown scope",
			args: []string{"--grant-type", "client_credentials", "--scope", "ACCOUNT_BASIC FOO"},
			want: `unknown scope "FOO": use one of ACCOUNT_BASIC, ACCOUNT_DETAILED,`,
		},
		{
			name: "http redirect on remote host",
			args: []string{"--grant-type", "authorization_code", "--scope", "ACCOUNT_BASIC",
				"--redirect-uri", "http://app.example.com/callback"},
			want: "http is allowed only on a loopback host",
		},
		{
			name: "code grant without redirect",
			args: []string{"--grant-type", "authorization_code", "--scope", "ACCOUNT_BASIC"},
			want: "missing redirect URI",
		},
		{
			name: "unknown grant type",
			args: []string{"--grant-type", "password", "--scope", "ACCOUNT_BASIC"},
			want: `unknown grant type "password"`,
		},
		{
			name: "public with client credentials",
			args: []string{"--public", "--grant-type", "client_credentials", "--scope", "client:admin"},
			want: "public client cannot use the client_credentials grant",
		},
		{
			name: "public with secret method",
			args: []string{"--public", "--grant-type", "authorization_code", "--scope",
				"ACCOUNT_BASIC", "--redirect-uri", "https://a.example/cb",
				"--auth-method", "client_secret_basic"},
			want: "invalid auth methods",
		},
		{
			name: "confidential with none",
			args: []string{"--grant-type", "client_credentials", "--scope", "client:admin",
				"--auth-method", "none"},
			want: `auth method "none" needs a public client`,
		},
		{
			name: "unknown provider",
			args: []string{"--grant-type", "client_credentials", "--scope", "client:admin",
				"--provider", "9999"},
			want: `unknown provider "9999"`,
		},
		{
			name: "invalid id",
			args: []string{"--id", "a/b", "--grant-type", "client_credentials", "--scope",
				"client:admin"},
			want: `invalid client id "a/b"`,
		},
		{
			name: "negative refresh grace",
			args: []string{"--grant-type", "client_credentials", "--scope", "client:admin",
				"--refresh-grace", "-5s"},
			want: "invalid refresh grace -5s",
		},
		{
			name: "several problems",
			args: []string{"--grant-type", "authorization_code", "--scope", "FOO",
				"--redirect-uri", "https://a.example/cb#x"},
			want: "invalid client:\n  - ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			args := append([]string{"client", "create", "--name", "App"}, tt.args...)
			r := c.mustFail(tt.want, args...)
			if r.stdout != "" {
				t.Errorf("stdout: got %q, want nothing after an error", r.stdout)
			}
			var list []clientJSON
			decodeJSON(t, c.mustRun("", "client", "list", "--json"), &list)
			if len(list) != 0 {
				t.Errorf("clients after a rejected create: got %d, want 0", len(list))
			}
		})
	}
}

func TestClientCreateDuplicateID(t *testing.T) {
	c := newCLI(t)
	args := []string{"client", "create", "--id", "app", "--name", "App",
		"--grant-type", "client_credentials", "--scope", "client:admin"}
	first := c.createClient(args...)
	c.mustFail(`client id "app" is taken`, args...)
	if got := c.storedClient("app").SecretHash; !bytes.Equal(got, tokens.Hash(first.ClientSecret)) {
		t.Error("a rejected duplicate replaced the secret of the first client")
	}
}

func TestClientListAndShow(t *testing.T) {
	c := newCLI(t)
	c.createSandboxProvider("1000")
	c.createClient(append(webClientArgs, "--id", "b-app")...)
	c.createClient("client", "create", "--id", "a-app", "--name", "Service",
		"--grant-type", "client_credentials", "--scope", "client:admin")

	var list []clientJSON
	r := c.mustRun("", "client", "list", "--json")
	decodeJSON(t, r, &list)
	if len(list) != 2 || list[0].ClientID != "a-app" || list[1].ClientID != "b-app" {
		t.Fatalf("client list: got %+v, want a-app then b-app", list)
	}
	if strings.Contains(r.stdout, `"client_secret":`) {
		t.Errorf("client list --json shows client_secret: %q", r.stdout)
	}

	text := c.mustRun("", "client", "list").stdout
	for _, want := range []string{"CLIENT_ID", "a-app", "b-app", "Budget App", "confidential"} {
		if !strings.Contains(text, want) {
			t.Errorf("client list: got %q, want it to contain %q", text, want)
		}
	}

	var details clientJSON
	decodeJSON(t, c.mustRun("", "client", "show", "b-app", "--json"), &details)
	checkStrings(t, "redirect URIs", details.RedirectURIs,
		[]string{"https://app.example.com/callback", "http://127.0.0.1:8081/callback"})
	if details.ClientSecret != "" {
		t.Errorf("client show --json: got client_secret %q, want none", details.ClientSecret)
	}

	text = c.mustRun("", "client", "show", "b-app").stdout
	for _, want := range []string{"client_id:", "b-app", "http://127.0.0.1:8081/callback",
		"authorization_code refresh_token client_credentials", "server default"} {
		if !strings.Contains(text, want) {
			t.Errorf("client show: got %q, want it to contain %q", text, want)
		}
	}
	checkNoSecretHash(t, c, "b-app", text)

	r = c.mustFail(`client "nobody" not found`, "client", "show", "nobody")
	if !errors.Is(r.err, consentry.ErrNotFound) {
		t.Errorf("client show of an unknown id: got %v, want ErrNotFound", r.err)
	}
}

// checkNoSecretHash fails if output contains the stored secret hash of the
// client in hex or base64.
func checkNoSecretHash(t *testing.T, c *cli, id, output string) {
	t.Helper()
	hash := c.storedClient(id).SecretHash
	for _, encoded := range []string{
		hex.EncodeToString(hash),
		base64.StdEncoding.EncodeToString(hash),
		base64.RawURLEncoding.EncodeToString(hash),
	} {
		if strings.Contains(output, encoded) {
			t.Errorf("output %q contains the secret hash", output)
		}
	}
}

func TestClientDelete(t *testing.T) {
	c := newCLI(t)
	c.createClient("client", "create", "--id", "gone", "--name", "Gone",
		"--grant-type", "client_credentials", "--scope", "client:admin")
	c.createClient("client", "create", "--id", "kept", "--name", "Kept",
		"--grant-type", "client_credentials", "--scope", "client:admin")

	var out struct {
		ClientID string `json:"client_id"`
		Deleted  bool   `json:"deleted"`
	}
	decodeJSON(t, c.mustRun("", "client", "delete", "gone", "--json"), &out)
	if out.ClientID != "gone" || !out.Deleted {
		t.Errorf("client delete --json: got %+v, want client_id gone and deleted true", out)
	}
	_, err := c.openTestStore().GetClient(context.Background(), "gone")
	if !errors.Is(err, consentry.ErrNotFound) {
		t.Errorf("get deleted client: got %v, want ErrNotFound", err)
	}
	c.storedClient("kept")

	c.mustFail(`client "gone" not found`, "client", "delete", "gone")
	r := c.mustRun("", "client", "delete", "kept")
	if want := "Deleted client kept.\n"; r.stdout != want {
		t.Errorf("client delete: got %q, want %q", r.stdout, want)
	}
}

func TestClientRotateSecret(t *testing.T) {
	c := newCLI(t)
	created := c.createClient("client", "create", "--id", "app", "--name", "App",
		"--grant-type", "client_credentials", "--scope", "client:admin")

	var rotated clientJSONSecret
	decodeJSON(t, c.mustRun("", "client", "rotate-secret", "app", "--json"), &rotated)
	if rotated.ClientID != "app" || len(rotated.ClientSecret) != 43 {
		t.Fatalf("rotate-secret --json: got %+v, want client app and a 43-character secret",
			rotated)
	}
	if rotated.ClientSecret == created.ClientSecret {
		t.Fatal("rotate-secret returned the old secret")
	}
	stored := c.storedClient("app")
	if !tokens.SecretMatches(stored.SecretHash, rotated.ClientSecret) {
		t.Error("the new secret does not match the stored hash")
	}
	if tokens.SecretMatches(stored.SecretHash, created.ClientSecret) {
		t.Error("the old secret still matches the stored hash")
	}

	r := c.mustRun("", "client", "rotate-secret", "app")
	if !strings.Contains(r.stdout, "client_secret: ") {
		t.Errorf("rotate-secret: got %q, want a client_secret line", r.stdout)
	}
	checkNoSecretHash(t, c, "app", r.stdout)

	c.mustFail(`client "nobody" not found`, "client", "rotate-secret", "nobody")
	c.mustRun("", "client", "create", "--public", "--id", "pub", "--name", "Pub",
		"--redirect-uri", "https://a.example/cb", "--grant-type", "authorization_code",
		"--scope", "ACCOUNT_BASIC")
	c.mustFail(`client "pub" is public and has no secret to rotate`, "client", "rotate-secret", "pub")
}
