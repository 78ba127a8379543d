package oauth_test

import (
	"strings"
	"testing"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
)

func TestRedirectURIRegistered(t *testing.T) {
	public := consentry.Client{
		AuthMethods:  []string{consentry.AuthMethodNone},
		RedirectURIs: []string{"http://127.0.0.1/callback", "http://[::1]:8080/cb?app=1", "http://localhost/cb", "https://app.example/cb"},
	}
	confidential := consentry.Client{
		SecretHash:   []byte("digest"),
		AuthMethods:  []string{consentry.AuthMethodBasic},
		RedirectURIs: public.RedirectURIs,
	}
	tests := []struct {
		name   string
		client consentry.Client
		uri    string
		want   bool
	}{
		{"exact", public, "http://127.0.0.1/callback", true},
		{"loopback any port", public, "http://127.0.0.1:51234/callback", true},
		{"ipv6 loopback other port", public, "http://[::1]:9/cb?app=1", true},
		{"ipv6 loopback no port", public, "http://[::1]/cb?app=1", true},
		{"loopback path differs", public, "http://127.0.0.1:5000/callback/", false},
		{"loopback path case", public, "http://127.0.0.1:5000/Callback", false},
		{"loopback query differs", public, "http://[::1]:9/cb?app=2", false},
		{"loopback extra query", public, "http://127.0.0.1:5000/callback?x=1", false},
		{"loopback https", public, "https://127.0.0.1:5000/callback", false},
		{"loopback scheme case", public, "HTTP://127.0.0.1:5000/callback", false},
		{"localhost gets no exception", public, "http://localhost:5000/cb", false},
		{"other loopback address", public, "http://127.0.0.2:5000/callback", false},
		{"port zero", public, "http://127.0.0.1:0/callback", false},
		{"port too large", public, "http://127.0.0.1:65536/callback", false},
		{"port with letters", public, "http://127.0.0.1:80a/callback", false},
		{"userinfo", public, "http://user@127.0.0.1:5000/callback", false},
		{"https exact", public, "https://app.example/cb", true},
		{"https other port", public, "https://app.example:444/cb", false},
		{"confidential loopback other port", confidential, "http://127.0.0.1:51234/callback", false},
		{"confidential exact", confidential, "http://127.0.0.1/callback", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := oauth.RedirectURIRegistered(tt.client, tt.uri); got != tt.want {
				t.Errorf("RedirectURIRegistered(%q) = %v, want %v", tt.uri, got, tt.want)
			}
		})
	}
}

// FuzzRedirectURIRegistered checks that a matched URI is a registered one or,
// for the loopback exception, differs from one only in its port.
func FuzzRedirectURIRegistered(f *testing.F) {
	client := consentry.Client{
		AuthMethods:  []string{consentry.AuthMethodNone},
		RedirectURIs: []string{"http://127.0.0.1/callback", "https://app.example/cb"},
	}
	f.Add("http://127.0.0.1:8080/callback")
	f.Add("http://127.0.0.1:8080/callback#x")
	f.Add("https://app.example/cb")
	f.Add("http://127.0.0.1:/callback")
	f.Fuzz(func(t *testing.T, uri string) {
		if !oauth.RedirectURIRegistered(client, uri) {
			return
		}
		if uri == "https://app.example/cb" || uri == "http://127.0.0.1/callback" {
			return
		}
		rest, ok := strings.CutPrefix(uri, "http://127.0.0.1:")
		if !ok {
			t.Fatalf("matched %q", uri)
		}
		port, path, _ := strings.Cut(rest, "/")
		if path != "callback" || port == "" || strings.Trim(port, "0123456789") != "" {
			t.Fatalf("matched %q", uri)
		}
	})
}
