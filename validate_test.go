package consentry_test

import (
	"strings"
	"testing"
	"time"

	"github.com/consentry/consentry"
)

func validClient() consentry.Client {
	return consentry.Client{
		ID:           "recipient-1",
		Name:         "Budget App",
		SecretHash:   []byte("digest"),
		AuthMethods:  []string{consentry.AuthMethodBasic, consentry.AuthMethodPost},
		RedirectURIs: []string{"https://app.example.com/callback"},
		GrantTypes: []string{
			consentry.GrantAuthorizationCode,
			consentry.GrantRefreshToken,
			consentry.GrantClientCredentials,
		},
		Scopes:    []string{consentry.ScopeAccountBasic, consentry.ScopeClientAdmin},
		Providers: []string{"1000"},
	}
}

func TestClientValidate(t *testing.T) {
	negative := -time.Second
	tests := []struct {
		name string
		edit func(c *consentry.Client)
		// want lists substrings of the error. An empty want means the client is valid.
		want []string
	}{
		{name: "valid confidential", edit: func(c *consentry.Client) {}},
		{
			name: "valid public",
			edit: func(c *consentry.Client) {
				c.SecretHash = nil
				c.AuthMethods = []string{consentry.AuthMethodNone}
				c.GrantTypes = []string{consentry.GrantAuthorizationCode}
			},
		},
		{
			name: "client credentials only",
			edit: func(c *consentry.Client) {
				c.RedirectURIs = nil
				c.GrantTypes = []string{consentry.GrantClientCredentials}
			},
		},
		{name: "missing id", edit: func(c *consentry.Client) { c.ID = "" }, want: []string{"missing client id"}},
		{
			name: "id with space",
			edit: func(c *consentry.Client) { c.ID = "a b" },
			want: []string{`invalid client id "a b"`},
		},
		{name: "blank name", edit: func(c *consentry.Client) { c.Name = "  " }, want: []string{"missing client name"}},
		{
			name: "name with newline",
			edit: func(c *consentry.Client) { c.Name = "a\nb" },
			want: []string{"control characters"},
		},
		{
			name: "no grant types",
			edit: func(c *consentry.Client) { c.GrantTypes = nil },
			want: []string{"missing grant type"},
		},
		{
			name: "unknown grant type",
			edit: func(c *consentry.Client) { c.GrantTypes = append(c.GrantTypes, "password") },
			want: []string{`unknown grant type "password"`},
		},
		{
			name: "refresh without code",
			edit: func(c *consentry.Client) { c.GrantTypes = []string{consentry.GrantRefreshToken} },
			want: []string{"refresh_token needs authorization_code"},
		},
		{
			name: "code without redirect",
			edit: func(c *consentry.Client) { c.RedirectURIs = nil },
			want: []string{"missing redirect URI"},
		},
		{
			name: "http redirect off loopback",
			edit: func(c *consentry.Client) { c.RedirectURIs = []string{"http://app.example.com/cb"} },
			want: []string{"http is allowed only on a loopback host"},
		},
		{
			name: "unknown scope",
			edit: func(c *consentry.Client) { c.Scopes = []string{"FOO"} },
			want: []string{`unknown scope "FOO": use one of ACCOUNT_BASIC,`},
		},
		{name: "no scopes", edit: func(c *consentry.Client) { c.Scopes = nil }, want: []string{"missing scope"}},
		{
			name: "public with client credentials",
			edit: func(c *consentry.Client) {
				c.SecretHash = nil
				c.AuthMethods = []string{consentry.AuthMethodNone}
			},
			want: []string{"public client cannot use the client_credentials grant"},
		},
		{
			name: "public with secret method",
			edit: func(c *consentry.Client) {
				c.SecretHash = nil
				c.GrantTypes = []string{consentry.GrantAuthorizationCode}
			},
			want: []string{"invalid auth methods"},
		},
		{
			name: "confidential with none",
			edit: func(c *consentry.Client) { c.AuthMethods = []string{consentry.AuthMethodNone} },
			want: []string{`auth method "none" needs a public client`},
		},
		{
			name: "confidential without methods",
			edit: func(c *consentry.Client) { c.AuthMethods = nil },
			want: []string{"missing auth method"},
		},
		{
			name: "unknown auth method",
			edit: func(c *consentry.Client) { c.AuthMethods = []string{"private_key_jwt"} },
			want: []string{`unknown auth method "private_key_jwt"`},
		},
		{
			name: "negative refresh grace",
			edit: func(c *consentry.Client) { c.RefreshGrace = &negative },
			want: []string{"invalid refresh grace -1s"},
		},
		{
			name: "every problem at once",
			edit: func(c *consentry.Client) {
				c.Name = ""
				c.Scopes = []string{"FOO"}
				c.RedirectURIs = []string{"http://app.example.com/cb"}
			},
			want: []string{"missing client name", `unknown scope "FOO"`, "loopback host"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validClient()
			tt.edit(&c)
			checkErrorContains(t, c.Validate(), tt.want)
		})
	}
}

// checkErrorContains fails unless err contains every substring in want, or
// err is nil when want is empty.
func checkErrorContains(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("got error %q, want nil", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got nil error, want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("got error %q, want it to contain %q", err, w)
		}
	}
}

func TestValidateRedirectURI(t *testing.T) {
	tests := []struct {
		name string
		uri  string
		want string // substring of the error, empty when valid
	}{
		{name: "https", uri: "https://app.example.com/callback?x=1"},
		{name: "http localhost", uri: "http://localhost:8081/callback"},
		{name: "http 127.0.0.1", uri: "http://127.0.0.1:8081/callback"},
		{name: "http 127.1.2.3", uri: "http://127.1.2.3/callback"},
		{name: "http ipv6 loopback", uri: "http://[::1]:8081/callback"},
		{name: "http remote host", uri: "http://app.example.com/cb", want: "loopback host"},
		{name: "http lookalike host", uri: "http://localhost.example.com/cb", want: "loopback host"},
		{name: "http 128.0.0.1", uri: "http://128.0.0.1/cb", want: "loopback host"},
		{name: "relative", uri: "/callback", want: "absolute URL"},
		{name: "no host", uri: "https:///callback", want: "absolute URL"},
		{name: "opaque", uri: "https:app.example.com", want: "absolute URL"},
		{name: "fragment", uri: "https://app.example.com/cb#top", want: "fragment"},
		{name: "empty fragment", uri: "https://app.example.com/cb#", want: "fragment"},
		{name: "user info", uri: "https://user:pw@app.example.com/cb", want: "user information"},
		{name: "custom scheme", uri: "com.example.app://callback", want: "use https"},
		{name: "not a URL", uri: "https://app example.com/cb", want: "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			checkErrorContains(t, consentry.ValidateRedirectURI(tt.uri), want)
		})
	}
}

func TestIsLoopbackHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LOCALHOST", true},
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"::1", true},
		{"[::1]", true},
		{"0:0:0:0:0:0:0:1", true},
		{"", false},
		{"localhost:8080", false},
		{"127.0.0.1:8080", false},
		{"[::1]:8080", false},
		{"::ffff:127.0.0.1", false},
		{"::1%lo", false},
		{"10.0.0.1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"example.com", false},
		{"[127.0.0.1]", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := consentry.IsLoopbackHost(tt.host); got != tt.want {
				t.Errorf("IsLoopbackHost(%q) = %v, want %v", tt.host, got, tt.want)
			}
		})
	}
}

func validProvider() consentry.Provider {
	return consentry.Provider{
		ID:      "1000",
		Name:    "Sandbox Bank",
		Country: "CA",
		Kind:    consentry.ProviderSandbox,
		Scopes:  consentry.UserDataScopes,
	}
}

func TestValidateProvider(t *testing.T) {
	tests := []struct {
		name string
		edit func(p *consentry.Provider)
		want []string
	}{
		{name: "valid sandbox", edit: func(p *consentry.Provider) {}},
		{
			name: "valid oauth2",
			edit: func(p *consentry.Provider) {
				p.Kind = consentry.ProviderOAuth2
				p.Upstream = []byte(`{}`)
			},
		},
		{name: "id of 64", edit: func(p *consentry.Provider) { p.ID = strings.Repeat("a", 64) }},
		{
			name: "id of 65",
			edit: func(p *consentry.Provider) { p.ID = strings.Repeat("a", 65) },
			want: []string{"invalid provider id"},
		},
		{name: "empty id", edit: func(p *consentry.Provider) { p.ID = "" }, want: []string{"invalid provider id"}},
		{
			name: "id with slash",
			edit: func(p *consentry.Provider) { p.ID = "a/b" },
			want: []string{`invalid provider id "a/b"`},
		},
		{name: "missing name", edit: func(p *consentry.Provider) { p.Name = "" }, want: []string{"missing provider name"}},
		{
			name: "unknown country",
			edit: func(p *consentry.Provider) { p.Country = "FR" },
			want: []string{`invalid country "FR": use CA or US`},
		},
		{
			name: "unknown kind",
			edit: func(p *consentry.Provider) { p.Kind = "ldap" },
			want: []string{`unknown provider kind "ldap"`},
		},
		{
			name: "sandbox with upstream",
			edit: func(p *consentry.Provider) { p.Upstream = []byte(`{}`) },
			want: []string{"no upstream configuration"},
		},
		{
			name: "oauth2 without upstream",
			edit: func(p *consentry.Provider) { p.Kind = consentry.ProviderOAuth2 },
			want: []string{"missing upstream configuration"},
		},
		{
			name: "management scope",
			edit: func(p *consentry.Provider) { p.Scopes = []string{"ACCOUNT_BASIC", "client:admin"} },
			want: []string{`unknown scope "client:admin"`},
		},
		{
			name: "without account basic",
			edit: func(p *consentry.Provider) { p.Scopes = []string{"TRANSACTIONS"} },
			want: []string{"lack ACCOUNT_BASIC"},
		},
		{name: "no scopes", edit: func(p *consentry.Provider) { p.Scopes = nil }, want: []string{"missing scope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validProvider()
			tt.edit(&p)
			checkErrorContains(t, consentry.ValidateProvider(p), tt.want)
		})
	}
}

func TestValidateRedirectURISyntax(t *testing.T) {
	tests := []struct {
		uri  string
		want string
	}{
		{"https://app.example/cb?x=1", ""},
		{"https://app.example:8443/cb", ""},
		{"https://app.example/a b", "percent-encode"},
		{`https://app.example/"cb"`, "percent-encode"},
		{"https://app.example/cb\u00e9", "percent-encode"},
		{"https://app.example:99999/cb", "port"},
		{"https://app.example:0/cb", "port"},
		{"https://app.example/cb?code=1", `"code"`},
		{"https://app.example/cb?state=x", `"state"`},
		{"https://app.example/cb?iss=x", `"iss"`},
		{"https://app.example/cb?a=%zz", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			err := consentry.ValidateRedirectURI(tt.uri)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %s", err, tt.want)
			}
		})
	}
}
