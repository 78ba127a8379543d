package oauth

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/consentry/consentry"
)

// AuthorizeError is a rejected authorization request. Until client_id and
// redirect_uri are verified, RedirectURI is empty and the error must be shown
// on a page: redirecting to an unverified URI would make the server an open
// redirector (RFC 6749 §4.1.2.1, RFC 9700 §4.11). After that, the error goes
// to RedirectURI with State.
type AuthorizeError struct {
	Err         *Error
	RedirectURI string
	// State is the request's state, empty when it was missing or unusable.
	State string
}

func (e *AuthorizeError) Error() string {
	return e.Err.Error()
}

func (e *AuthorizeError) Unwrap() error {
	return e.Err
}

// maxStateLength bounds the state echoed into the redirect, so that a client
// cannot make the server build an arbitrarily long Location header.
const maxStateLength = 2048

// correlationIDPattern is the form of a correlation_id that reaches the
// logs. Any other value is dropped rather than rejected.
var correlationIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// AuthorizeRequest is a validated authorization request with the client and
// provider it names.
type AuthorizeRequest struct {
	Request  consentry.AuthRequest
	Client   consentry.Client
	Provider consentry.Provider
}

// ValidateAuthorize checks an authorization request's parameters in a fixed
// order, and the first failure decides the response:
//
//  1. client_id missing, repeated or unknown: error page;
//  2. redirect_uri missing, repeated or not registered: error page;
//  3. any other parameter repeated: invalid_request;
//  4. response_type missing or not code;
//  5. the client may not use the authorization-code grant;
//  6. state missing;
//  7. scope missing, unknown, not allowed or without ACCOUNT_BASIC;
//  8. provider_id missing, unknown, not registered for the client;
//  9. PKCE missing where required, or malformed.
//
// Every error from step 3 on is an *AuthorizeError with RedirectURI set.
func (s *Server) ValidateAuthorize(ctx context.Context, params url.Values) (AuthorizeRequest, error) {
	client, redirectURI, err := s.verifyClientRedirect(ctx, params)
	if err != nil {
		return AuthorizeRequest{}, err
	}
	state := ""
	if values := params["state"]; len(values) == 1 && len(values[0]) <= maxStateLength {
		state = values[0]
	}
	fail := func(e *Error) error {
		return &AuthorizeError{Err: e, RedirectURI: redirectURI, State: state}
	}

	for _, values := range params {
		if len(values) > 1 {
			return AuthorizeRequest{}, fail(ErrParamRepeated)
		}
	}
	switch params.Get("response_type") {
	case "":
		return AuthorizeRequest{}, fail(ErrResponseTypeMissing)
	case "code":
	default:
		return AuthorizeRequest{}, fail(ErrResponseType)
	}
	if !client.AllowsGrant(consentry.GrantAuthorizationCode) {
		return AuthorizeRequest{}, fail(ErrCodeGrantNotAllowed)
	}
	if params.Get("state") == "" {
		return AuthorizeRequest{}, fail(ErrStateMissing)
	}
	if state == "" {
		return AuthorizeRequest{}, fail(ErrStateTooLong)
	}
	scopes, e := checkUserScope(client, params.Get("scope"))
	if e != nil {
		return AuthorizeRequest{}, fail(e)
	}
	provider, e := s.checkProvider(ctx, client, params.Get("provider_id"), scopes)
	if e != nil {
		return AuthorizeRequest{}, fail(e)
	}
	challenge, method, e := s.checkPKCE(client, params)
	if e != nil {
		return AuthorizeRequest{}, fail(e)
	}

	now := s.now()
	req := consentry.AuthRequest{
		ClientID:            client.ID,
		RedirectURI:         redirectURI,
		State:               state,
		Scopes:              scopes,
		ProviderID:          provider.ID,
		CodeChallenge:       challenge,
		CodeChallengeMethod: method,
		CorrelationID:       CorrelationID(params.Get("correlation_id")),
		Locale:              Locale(params.Get("ui_locales")),
		Stage:               consentry.StageSignIn,
		CreatedAt:           now,
		ExpiresAt:           now.Add(s.cfg.AuthRequestTTL),
	}
	return AuthorizeRequest{Request: req, Client: client, Provider: provider}, nil
}

// verifyClientRedirect runs steps 1 and 2. Its errors have no RedirectURI,
// storage failures included.
func (s *Server) verifyClientRedirect(ctx context.Context, params url.Values) (consentry.Client, string, error) {
	page := func(e *Error) error { return &AuthorizeError{Err: e} }

	ids := params["client_id"]
	if len(ids) != 1 || ids[0] == "" {
		return consentry.Client{}, "", page(ErrClientIDMissing)
	}
	client, err := s.store.GetClient(ctx, ids[0])
	if errors.Is(err, consentry.ErrNotFound) {
		return consentry.Client{}, "", page(ErrClientUnknown)
	}
	if err != nil {
		return consentry.Client{}, "", page(StoreError(err))
	}

	uris := params["redirect_uri"]
	if len(uris) != 1 || uris[0] == "" {
		return consentry.Client{}, "", page(ErrRedirectURIMissing)
	}
	if !RedirectURIRegistered(client, uris[0]) {
		return consentry.Client{}, "", page(ErrRedirectURIUnknown)
	}
	return client, uris[0], nil
}

// checkUserScope parses the scope of a user's authorization: every scope
// known, user-data only, registered for the client, ACCOUNT_BASIC included.
func checkUserScope(client consentry.Client, raw string) ([]string, *Error) {
	scopes, e := parseScope(raw)
	if e != nil {
		return nil, e
	}
	if len(scopes) == 0 {
		return nil, ErrScopeMissing
	}
	for _, scope := range scopes {
		if !consentry.IsKnownScope(scope) {
			return nil, ErrScopeUnknown
		}
	}
	for _, scope := range scopes {
		if consentry.IsManagementScope(scope) {
			return nil, ErrScopeManagement
		}
		if !slices.Contains(client.Scopes, scope) {
			return nil, ErrScopeNotAllowed
		}
	}
	if !slices.Contains(scopes, consentry.ScopeAccountBasic) {
		return nil, ErrScopeNoBasic
	}
	return scopes, nil
}

func (s *Server) checkProvider(ctx context.Context, client consentry.Client, id string,
	scopes []string) (consentry.Provider, *Error) {
	if id == "" {
		return consentry.Provider{}, ErrProviderMissing
	}
	provider, err := s.store.GetProvider(ctx, id)
	if errors.Is(err, consentry.ErrNotFound) {
		return consentry.Provider{}, ErrProviderUnknown
	}
	if err != nil {
		return consentry.Provider{}, StoreError(err)
	}
	if !client.RegisteredWith(id) {
		return consentry.Provider{}, ErrProviderNotAllowed
	}
	if provider.Disabled {
		return consentry.Provider{}, ErrProviderSuspended
	}
	if !consentry.ContainsAll(provider.Scopes, scopes) {
		return consentry.Provider{}, ErrScopeNotOffered
	}
	return provider, nil
}

// checkPKCE applies RFC 7636 §4.3 with S256 as the only method, because with
// plain the challenge is the verifier itself and leaks with the authorization
// request (RFC 7636 §7.2).
func (s *Server) checkPKCE(client consentry.Client, params url.Values) (string, string, *Error) {
	challenge := params.Get("code_challenge")
	method := params.Get("code_challenge_method")
	required := client.Public() || client.RequirePKCE || s.cfg.RequirePKCE
	switch {
	case challenge == "" && method == "" && required:
		return "", "", ErrPKCERequired
	case challenge == "" && method == "":
		return "", "", nil
	case challenge == "":
		return "", "", ErrPKCEChallengeMissing
	case method == "":
		return "", "", ErrPKCEMethodMissing
	case method != "S256":
		return "", "", ErrPKCEMethod
	case !isS256Challenge(challenge):
		return "", "", ErrPKCEChallenge
	}
	return challenge, method, nil
}

// isS256Challenge reports whether s has the shape of a base64url-encoded
// SHA-256 digest without padding: 43 characters of the base64url alphabet.
func isS256Challenge(s string) bool {
	if len(s) != 43 {
		return false
	}
	for _, r := range s {
		if !isBase64URL(r) {
			return false
		}
	}
	return true
}

func isBase64URL(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

// CorrelationID returns id when it is at most 64 characters of
// [A-Za-z0-9._-], and "" otherwise, so that no other value reaches the logs.
func CorrelationID(id string) string {
	if correlationIDPattern.MatchString(id) {
		return id
	}
	return ""
}

// Locales lists the languages of the pages, the default first.
var Locales = []string{"en", "fr"}

// Locale returns the first supported language in a ui_locales value (a
// space-separated list of BCP 47 tags, OpenID Connect Core §3.1.2.1), or "" if
// there is none.
func Locale(uiLocales string) string {
	for _, tag := range strings.Fields(uiLocales) {
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if slices.Contains(Locales, base) {
			return base
		}
	}
	return ""
}
