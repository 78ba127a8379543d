package oauth

import (
	"slices"
	"strings"

	"github.com/consentry/consentry"
)

// RedirectURIRegistered reports whether uri may be used as the redirect URI
// of client. Registered URIs are compared as exact strings (RFC 6749 §3.1.2.3,
// RFC 9700 §4.1.3), with one exception for native apps (RFC 8252 §7.3): for a
// public client registered with an http URI on the loopback IP literal
// 127.0.0.1 or [::1], any port matches, because the app listens on a port the
// operating system picks at run time. Everything else, the host spelling
// included, must still match exactly; localhost gets no exception, because a
// name can resolve elsewhere (RFC 8252 §8.3).
func RedirectURIRegistered(client consentry.Client, uri string) bool {
	if slices.Contains(client.RedirectURIs, uri) {
		return true
	}
	if !client.Public() {
		return false
	}
	requested, ok := withoutLoopbackPort(uri)
	if !ok {
		return false
	}
	for _, registered := range client.RedirectURIs {
		if r, ok := withoutLoopbackPort(registered); ok && r == requested {
			return true
		}
	}
	return false
}

// withoutLoopbackPort returns uri with the port removed when uri is an http
// URI whose host is exactly 127.0.0.1 or [::1], and reports whether it was.
func withoutLoopbackPort(uri string) (string, bool) {
	const scheme = "http://"
	if !strings.HasPrefix(uri, scheme) {
		return "", false
	}
	rest := uri[len(scheme):]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	for _, host := range []string{"127.0.0.1", "[::1]"} {
		if authority == host {
			return scheme + host + tail, true
		}
		port, ok := strings.CutPrefix(authority, host+":")
		if ok && isPort(port) {
			return scheme + host + tail, true
		}
	}
	return "", false
}

// isPort reports whether s is a decimal port number from 1 to 65535 without
// leading zeros.
func isPort(s string) bool {
	if s == "" || len(s) > 5 || s[0] == '0' {
		return false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
		n = n*10 + int(r-'0')
	}
	return n <= 65535
}
