// Package server assembles a running Consentry from its parts: storage,
// signing keys, protocol rules, HTTP handlers, listeners, background garbage
// collection and graceful shutdown. The command line and the end-to-end tests
// start it the same way.
package server

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/providers/sandbox"
)

// Config is the complete server configuration. Zero values take the
// defaults named on each field.
type Config struct {
	// Addr is the listen address; default 127.0.0.1:8080.
	Addr string
	// AdminAddr, when set, serves /metrics on a separate listener instead of
	// the main one, with the Go profiling endpoints.
	AdminAddr string
	// Issuer is the issuer identifier and base URL; default http:// plus Addr.
	Issuer string
	// Dev seeds demonstration data and allows the development key. It is
	// rejected off loopback addresses.
	Dev bool
	// KeyEncryptionKey encrypts the signing keys in the store (32 bytes).
	KeyEncryptionKey []byte
	// OAuth holds the protocol settings; its Issuer is set from Issuer.
	OAuth oauth.Config
	// InvalidClientStatus is 400 (default) or 401.
	InvalidClientStatus int
	// Login bounds failed sign-ins and concurrent password hashing.
	Login sandbox.Limits
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the
	// client for the per-address sign-in limit; none by default.
	TrustedProxies []netip.Prefix
	// RequestTimeout bounds the work of one request, storage calls included;
	// default 15 s.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds how long requests in flight may take to finish
	// after a stop signal; default 30 s.
	ShutdownTimeout time.Duration
	// GCInterval is how often expired rows are deleted; default 1 min.
	GCInterval time.Duration
	// KeyRotation is the age at which a new signing key is created; it is
	// published for tokens.RotationLead before it signs. Default 720 h; a
	// negative value turns scheduled rotation off.
	KeyRotation time.Duration
	// Now is the clock of the protocol rules and token checks; nil means
	// time.Now. Tests set it to move time forward.
	Now func() time.Time
	// GCKeep is how long expired codes, pending requests and tokens are kept
	// so that a replay is still recognised; default 1 h.
	GCKeep time.Duration
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.Issuer == "" {
		c.Issuer = "http://" + c.Addr
	}
	c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	c.OAuth.Issuer = c.Issuer
	if c.InvalidClientStatus == 0 {
		c.InvalidClientStatus = 400
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.GCInterval == 0 {
		c.GCInterval = time.Minute
	}
	if c.KeyRotation == 0 {
		c.KeyRotation = 720 * time.Hour
	}
	if c.GCKeep == 0 {
		c.GCKeep = time.Hour
	}
	return c
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	loopback, err := loopbackAddr(c.Addr)
	if err != nil {
		errs = append(errs, fmt.Errorf("invalid --addr: %w", err))
	}
	if c.AdminAddr != "" {
		if _, err := loopbackAddr(c.AdminAddr); err != nil {
			errs = append(errs, fmt.Errorf("invalid --admin-addr: %w", err))
		}
	}
	issuer, err := url.Parse(c.Issuer)
	switch {
	case err != nil || !issuer.IsAbs() || issuer.Host == "":
		errs = append(errs, errors.New("invalid --issuer: use an absolute URL such as https://auth.example.com"))
	case issuer.Scheme != "https" && issuer.Scheme != "http":
		errs = append(errs, errors.New("invalid --issuer: the scheme must be https"))
	case issuer.RawQuery != "" || issuer.Fragment != "":
		errs = append(errs, errors.New("invalid --issuer: an issuer has no query or fragment (RFC 8414 §2)"))
	case issuer.User != nil:
		errs = append(errs, errors.New("invalid --issuer: remove the user information before '@'"))
	case issuer.Path != "":
		// The handlers, the pages' form actions and the metadata location
		// all sit at the root of the host.
		errs = append(errs, errors.New("invalid --issuer: Consentry serves its endpoints at the root "+
			"of a host, so the issuer has no path; use a URL such as https://auth.example.com"))
	case issuer.Scheme != "https" && err == nil && !loopback:
		errs = append(errs, errors.New("--issuer must be https when --addr is not a loopback address"))
	case issuer.Scheme != "https" && !consentry.IsLoopbackHost(issuer.Hostname()):
		// Session cookies are Secure off loopback, and no browser sends
		// them back over plain http.
		errs = append(errs, errors.New("--issuer must be https unless its host is a loopback "+
			"address such as 127.0.0.1 or localhost"))
	}
	if c.Dev && err == nil && !loopback {
		errs = append(errs, errors.New("--dev is only allowed on a loopback --addr such as 127.0.0.1:8080"))
	}
	if len(c.KeyEncryptionKey) != 32 {
		errs = append(errs, errors.New("missing key-encryption key: set CONSENTRY_KEY_FILE or CONSENTRY_KEY "+
			"to 32 random bytes in hex or base64, or use --dev on a laptop"))
	}
	if c.InvalidClientStatus != 400 && c.InvalidClientStatus != 401 {
		errs = append(errs, errors.New("invalid --invalid-client-status: use 400 or 401"))
	}
	errs = append(errs, c.validateDurations()...)
	return errors.Join(errs...)
}

func (c Config) validateDurations() []error {
	var errs []error
	positive := []struct {
		flag  string
		value time.Duration
	}{
		{"--access-token-ttl", c.OAuth.AccessTokenTTL},
		{"--code-ttl", c.OAuth.CodeTTL},
		{"--auth-request-ttl", c.OAuth.AuthRequestTTL},
		{"--refresh-idle-timeout", c.OAuth.RefreshIdleTimeout},
		{"--refresh-reuse-window", c.OAuth.RefreshReuseWindow},
		{"--refresh-grace", c.OAuth.RefreshGrace},
		{"--shutdown-timeout", c.ShutdownTimeout},
		{"--login-window", c.Login.Window},
		{"--login-lockout", c.Login.Lockout},
	}
	for _, p := range positive {
		if p.value < 0 {
			errs = append(errs, fmt.Errorf("invalid %s: a duration cannot be negative", p.flag))
		}
	}
	if c.OAuth.AccessTokenTTL > time.Hour {
		errs = append(errs, errors.New("invalid --access-token-ttl: at most 1h, because a resource server "+
			"sees a revocation only when the token expires"))
	}
	if c.OAuth.CodeTTL > 10*time.Minute {
		errs = append(errs, errors.New("invalid --code-ttl: at most 10m (RFC 6749 §4.1.2)"))
	}
	return errs
}

// loopbackAddr parses host:port and reports whether the host is a loopback
// address. An empty host listens on every interface, so it is not loopback.
func loopbackAddr(addr string) (bool, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false, errors.New("use host:port such as 127.0.0.1:8080")
	}
	if port == "" {
		return false, errors.New("the port is missing")
	}
	return host != "" && consentry.IsLoopbackHost(host), nil
}
