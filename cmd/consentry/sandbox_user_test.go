package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/providers/sandbox"
)

// passwordMatches reports whether password matches a stored password hash.
func passwordMatches(t *testing.T, hash, password string) bool {
	t.Helper()
	ok, err := sandbox.VerifyPassword(hash, password)
	if err != nil {
		t.Fatalf("verify password hash %q: %v", hash, err)
	}
	return ok
}

func (c *cli) storedUser(providerID, username string) consentry.SandboxUser {
	c.t.Helper()
	user, err := c.openTestStore().GetSandboxUser(context.Background(), providerID, username)
	if err != nil {
		c.t.Fatalf("get sandbox user %q at %q: %v", username, providerID, err)
	}
	return user
}

func TestSandboxUserCreate(t *testing.T) {
	tests := []struct {
		name     string
		stdin    string
		password string
	}{
		{name: "LF", stdin: "s3cret pass\n", password: "s3cret pass"},
		{name: "CRLF", stdin: "s3cret pass\r\n", password: "s3cret pass"},
		{name: "no line ending", stdin: "s3cret", password: "s3cret"},
		{name: "first line only", stdin: "first\nsecond\n", password: "first"},
		{name: "inner spaces kept", stdin: "  padded  \n", password: "  padded  "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			c.createSandboxProvider("1000")
			r := c.mustRun(tt.stdin, "sandbox-user", "create", "--provider", "1000",
				"--username", "demo", "--password-stdin")
			if want := "Created user demo at sandbox provider 1000.\n"; r.stdout != want {
				t.Errorf("sandbox-user create: got %q, want %q", r.stdout, want)
			}
			hash := c.storedUser("1000", "demo").PasswordHash
			if !passwordMatches(t, hash, tt.password) {
				t.Errorf("stored hash does not match password %q", tt.password)
			}
			if strings.Contains(r.stdout+r.stderr, tt.password) {
				t.Errorf("output %q shows the password", r.stdout+r.stderr)
			}
		})
	}
}

func TestSandboxUserCreateErrors(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{name: "empty password", stdin: "\n", want: "empty password"},
		{name: "empty CRLF password", stdin: "\r\n", want: "empty password"},
		{name: "no input", stdin: "", want: "empty password"},
		{
			name:  "unknown provider",
			stdin: "pw\n",
			args:  []string{"--provider", "9999"},
			want:  `provider "9999" not found`,
		},
		{
			name:  "password flag false",
			stdin: "pw\n",
			args:  []string{"--password-stdin=false"},
			want:  "missing password: pass --password-stdin",
		},
		{
			name:  "username with spaces",
			stdin: "pw\n",
			args:  []string{"--username", " demo"},
			want:  "remove the leading and trailing spaces",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			c.createSandboxProvider("1000")
			args := append([]string{"sandbox-user", "create", "--provider", "1000",
				"--username", "demo", "--password-stdin"}, tt.args...)
			r := c.run(tt.stdin, args...)
			if r.err == nil || !strings.Contains(r.err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", r.err, tt.want)
			}
			_, err := c.openTestStore().GetSandboxUser(context.Background(), "1000", "demo")
			if !errors.Is(err, consentry.ErrNotFound) {
				t.Errorf("user after a rejected create: got %v, want ErrNotFound", err)
			}
		})
	}
}

func TestSandboxUserNeedsPasswordStdin(t *testing.T) {
	c := newCLI(t)
	c.createSandboxProvider("1000")
	r := c.run("pw\n", "sandbox-user", "create", "--provider", "1000", "--username", "demo")
	if r.err == nil || !strings.Contains(r.err.Error(), "--password-stdin") {
		t.Fatalf("got error %v, want one naming --password-stdin", r.err)
	}
	r = c.run("pw\n", "sandbox-user", "create", "--provider", "1000", "--username", "demo",
		"--password", "pw")
	if r.err == nil || !strings.Contains(r.err.Error(), "unknown flag: --password") {
		t.Fatalf("--password: got error %v, want unknown flag", r.err)
	}
}

func TestSandboxUserDuplicate(t *testing.T) {
	c := newCLI(t)
	c.createSandboxProvider("1000")
	args := []string{"sandbox-user", "create", "--provider", "1000", "--username", "demo",
		"--password-stdin"}
	c.mustRun("first\n", args...)
	r := c.run("second\n", args...)
	if r.err == nil || !strings.Contains(r.err.Error(), `user "demo" exists already`) {
		t.Fatalf("second create: got error %v, want the user to exist already", r.err)
	}
	if !passwordMatches(t, c.storedUser("1000", "demo").PasswordHash, "first") {
		t.Error("a rejected duplicate replaced the first password")
	}
}

func TestSandboxUserOnUpstreamProvider(t *testing.T) {
	c := newCLI(t)
	err := c.openTestStore().CreateProvider(context.Background(), consentry.Provider{
		ID: "2000", Name: "Upstream Bank", Country: "CA", Kind: consentry.ProviderOAuth2,
		Scopes: consentry.UserDataScopes, Upstream: []byte(`{}`),
	})
	if err != nil {
		t.Fatalf("create oauth2 provider: %v", err)
	}
	r := c.run("pw\n", "sandbox-user", "create", "--provider", "2000", "--username", "demo",
		"--password-stdin")
	want := `provider "2000" is of kind oauth2: only sandbox providers have their own users`
	if r.err == nil || !strings.Contains(r.err.Error(), want) {
		t.Fatalf("got error %v, want %q", r.err, want)
	}
}
