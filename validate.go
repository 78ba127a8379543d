package consentry

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Limits on registration fields, chosen so that ids fit in URLs, logs and
// database keys without escaping and names fit on a consent page.
const (
	maxClientIDLength = 128
	maxNameLength     = 200
)

var (
	// Client ids use the URL unreserved characters (RFC 3986 §2.3).
	clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
	// Provider ids appear in URL paths such as /api/v1/callback/{provider_id}.
	providerIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// Grant types and countries that a registration may name.
var (
	knownGrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials}
	knownCountries  = []string{"CA", "US"}
	secretMethods   = []string{AuthMethodBasic, AuthMethodPost}
)

// Validate checks a client registration and reports every problem it finds,
// joined with errors.Join, or nil when the registration is usable.
func (c Client) Validate() error {
	var errs []error
	errs = append(errs, validateClientID(c.ID))
	errs = append(errs, validateName("client", c.Name))
	errs = append(errs, c.validateGrantTypes()...)
	errs = append(errs, c.validateRedirectURIs()...)
	errs = append(errs, validateScopes(c.Scopes, IsKnownScope, allScopes())...)
	errs = append(errs, c.validateAuthMethods()...)
	if c.RefreshGrace != nil && *c.RefreshGrace < 0 {
		errs = append(errs, fmt.Errorf("invalid refresh grace %s: use zero or a positive duration",
			*c.RefreshGrace))
	}
	return errors.Join(errs...)
}

func validateClientID(id string) error {
	switch {
	case id == "":
		return errors.New("missing client id")
	case len(id) > maxClientIDLength || !clientIDPattern.MatchString(id):
		return fmt.Errorf("invalid client id %q: use 1 to %d characters of A-Z, a-z, 0-9, "+
			"'.', '_', '~' and '-'", id, maxClientIDLength)
	}
	return nil
}

func validateName(entity, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("missing %s name", entity)
	case len(name) > maxNameLength:
		return fmt.Errorf("%s name is %d bytes long: use at most %d", entity, len(name), maxNameLength)
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("invalid %s name %q: remove the control characters", entity, name)
	}
	return nil
}

func (c Client) validateGrantTypes() []error {
	if len(c.GrantTypes) == 0 {
		return []error{fmt.Errorf("missing grant type: use one or more of %s",
			strings.Join(knownGrantTypes, ", "))}
	}
	var errs []error
	for _, g := range c.GrantTypes {
		if !slices.Contains(knownGrantTypes, g) {
			errs = append(errs, fmt.Errorf("unknown grant type %q: use one of %s",
				g, strings.Join(knownGrantTypes, ", ")))
		}
	}
	// Refresh tokens are only issued by a code exchange, so the refresh grant
	// alone could never be used.
	if c.AllowsGrant(GrantRefreshToken) && !c.AllowsGrant(GrantAuthorizationCode) {
		errs = append(errs, errors.New("grant type refresh_token needs authorization_code too: "+
			"refresh tokens are only issued by a code exchange"))
	}
	// A client-credentials token represents the client itself, so anyone
	// could obtain one if the client had no secret (RFC 6749 §4.4).
	if c.Public() && c.AllowsGrant(GrantClientCredentials) {
		errs = append(errs, errors.New("a public client cannot use the client_credentials grant: "+
			"drop that grant type or register a confidential client"))
	}
	return errs
}

func (c Client) validateRedirectURIs() []error {
	var errs []error
	if c.AllowsGrant(GrantAuthorizationCode) && len(c.RedirectURIs) == 0 {
		errs = append(errs, errors.New("missing redirect URI: the authorization_code grant "+
			"needs at least one"))
	}
	for _, u := range c.RedirectURIs {
		if err := ValidateRedirectURI(u); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (c Client) validateAuthMethods() []error {
	if c.Public() {
		if !slices.Equal(c.AuthMethods, []string{AuthMethodNone}) {
			return []error{fmt.Errorf("invalid auth methods %q for a public client: "+
				"a public client uses %q only", c.AuthMethods, AuthMethodNone)}
		}
		return nil
	}
	if len(c.AuthMethods) == 0 {
		return []error{fmt.Errorf("missing auth method: a confidential client uses %s",
			strings.Join(secretMethods, " or "))}
	}
	var errs []error
	for _, m := range c.AuthMethods {
		switch {
		case m == AuthMethodNone:
			errs = append(errs, fmt.Errorf("auth method %q needs a public client: "+
				"a confidential client uses %s", m, strings.Join(secretMethods, " or ")))
		case !slices.Contains(secretMethods, m):
			errs = append(errs, fmt.Errorf("unknown auth method %q: use %s",
				m, strings.Join(secretMethods, " or ")))
		}
	}
	return errs
}

// validateScopes checks every scope with allowed and names the accepted
// scopes in its errors.
func validateScopes(scopes []string, allowed func(string) bool, accepted []string) []error {
	if len(scopes) == 0 {
		return []error{fmt.Errorf("missing scope: use one or more of %s",
			strings.Join(accepted, ", "))}
	}
	var errs []error
	for _, s := range scopes {
		if !allowed(s) {
			errs = append(errs, fmt.Errorf("unknown scope %q: use one of %s",
				s, strings.Join(accepted, ", ")))
		}
	}
	return errs
}

func allScopes() []string {
	return slices.Concat(UserDataScopes, ManagementScopes)
}

// ValidateRedirectURI checks a redirect URI for registration: an absolute URL
// without a fragment (RFC 6749 §3.1.2) and without user information, using
// https, or http on a loopback host only (RFC 8252 §7.3).
func ValidateRedirectURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid redirect URI %q: it is not a URL", s)
	}
	if err := checkRedirectSyntax(s, u); err != nil {
		return err
	}
	switch {
	case !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("invalid redirect URI %q: use an absolute URL such as "+
			"https://app.example.com/callback", s)
	case strings.Contains(s, "#"):
		return fmt.Errorf("invalid redirect URI %q: remove the fragment (the part from '#')", s)
	case u.User != nil:
		return fmt.Errorf("invalid redirect URI %q: remove the user information before '@'", s)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && IsLoopbackHost(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("invalid redirect URI %q: http is allowed only on a loopback host "+
			"(localhost, 127.0.0.1 or [::1]); use https", s)
	default:
		return fmt.Errorf("invalid redirect URI %q: use https, or http on a loopback host", s)
	}
}

// IsLoopbackHost reports whether host, given without a port, names the local
// machine: localhost, an address in 127.0.0.0/8, or ::1 with or without
// brackets. IPv4-mapped IPv6 addresses and zones are not accepted.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	bracketed := strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]")
	if bracketed {
		host = host[1 : len(host)-1]
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || addr.Zone() != "" {
		return false
	}
	// Brackets enclose only IPv6 literals in URLs (RFC 3986 §3.2.2).
	if addr.Is4() && !bracketed {
		return addr.As4()[0] == 127
	}
	return addr == netip.IPv6Loopback()
}

// ValidateProvider checks a provider registration and reports every problem
// it finds, joined with errors.Join, or nil when the registration is usable.
func ValidateProvider(p Provider) error {
	var errs []error
	if !providerIDPattern.MatchString(p.ID) {
		errs = append(errs, fmt.Errorf("invalid provider id %q: use 1 to 64 characters of "+
			"A-Z, a-z, 0-9, '_' and '-'", p.ID))
	}
	errs = append(errs, validateName("provider", p.Name))
	if !slices.Contains(knownCountries, p.Country) {
		errs = append(errs, fmt.Errorf("invalid country %q: use %s",
			p.Country, strings.Join(knownCountries, " or ")))
	}
	errs = append(errs, validateProviderKind(p)...)
	errs = append(errs, validateScopes(p.Scopes, IsUserDataScope, UserDataScopes)...)
	// Every user-data authorization request includes ACCOUNT_BASIC, so a
	// provider without it could never be authorized.
	if len(p.Scopes) > 0 && !slices.Contains(p.Scopes, ScopeAccountBasic) {
		errs = append(errs, fmt.Errorf("provider scopes lack %s: every authorization "+
			"requests it, so add it", ScopeAccountBasic))
	}
	return errors.Join(errs...)
}

func validateProviderKind(p Provider) []error {
	switch p.Kind {
	case ProviderSandbox:
		if len(p.Upstream) > 0 {
			return []error{errors.New("a sandbox provider has no upstream configuration")}
		}
	case ProviderOAuth2:
		if len(p.Upstream) == 0 {
			return []error{errors.New("missing upstream configuration for an oauth2 provider")}
		}
	default:
		return []error{fmt.Errorf("unknown provider kind %q: use %s or %s",
			p.Kind, ProviderSandbox, ProviderOAuth2)}
	}
	return nil
}

// responseParams are the parameters the server adds to a redirect URI. A
// registered URI that already has one would reach the client with the
// parameter twice, and a client could read the wrong one.
var responseParams = []string{"code", "state", "iss", "error", "error_description", "error_reason", "error_uri"}

// checkRedirectSyntax rejects a redirect URI that a browser or a client would
// read differently from the server: characters RFC 3986 §2 does not allow
// unencoded, a port out of range, or a query that already has a response
// parameter.
func checkRedirectSyntax(s string, u *url.URL) error {
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"<>\^`+"`"+`{|}`, r) {
			return fmt.Errorf("invalid redirect URI %q: percent-encode the character %q", s, r)
		}
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("invalid redirect URI %q: the port must be 1 to 65535", s)
		}
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fmt.Errorf("invalid redirect URI %q: the query is malformed", s)
	}
	for _, name := range responseParams {
		if query.Has(name) {
			return fmt.Errorf("invalid redirect URI %q: remove the query parameter %q, "+
				"which the server adds to the redirect", s, name)
		}
	}
	return nil
}
