// Package consentry holds the domain of an open-banking authorization server:
// clients (data recipients), providers (data providers), connections between an
// end user and a client, and the codes and tokens that a connection issues. The
// Store interface is the one contract that every storage backend implements.
//
// The protocol rules live in package oauth, the HTTP surface in package web, the
// storage backends in sqlite, and the command line in cmd/consentry.
package consentry

import (
	"slices"
	"time"
)

// Grant types a client may be registered for.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// Token endpoint authentication methods (RFC 7591 §2 names).
const (
	AuthMethodBasic = "client_secret_basic"
	AuthMethodPost  = "client_secret_post"
	AuthMethodNone  = "none"
)

// Client is a registered data recipient.
type Client struct {
	ID   string
	Name string
	// SecretHash is the SHA-256 digest of the client secret, empty for a
	// public client. The secret itself is shown once at creation and never stored.
	SecretHash []byte
	// AuthMethods lists the token endpoint authentication methods the client
	// may use: AuthMethodNone alone for a public client, one or both secret
	// methods for a confidential client.
	AuthMethods []string
	// RedirectURIs are compared as exact strings.
	RedirectURIs []string
	GrantTypes   []string
	Scopes       []string
	// Providers lists the provider ids the client is registered with.
	Providers []string
	// RequirePKCE makes PKCE mandatory for a confidential client too; public
	// clients always need it.
	RequirePKCE bool
	// RefreshGrace overrides the server's refresh retry grace when set.
	RefreshGrace *time.Duration
	CreatedAt    time.Time
}

// Public reports whether the client has no secret and so authenticates with its
// client_id alone.
func (c Client) Public() bool {
	return len(c.SecretHash) == 0
}

// AllowsGrant reports whether the client is registered for the grant type.
func (c Client) AllowsGrant(grantType string) bool {
	return slices.Contains(c.GrantTypes, grantType)
}

// AllowsAuthMethod reports whether the client is registered for the token
// endpoint authentication method.
func (c Client) AllowsAuthMethod(method string) bool {
	return slices.Contains(c.AuthMethods, method)
}

// RegisteredWith reports whether the client is registered with the provider.
func (c Client) RegisteredWith(providerID string) bool {
	return slices.Contains(c.Providers, providerID)
}

// ProviderKind tells how a provider signs its users in.
type ProviderKind string

const (
	// ProviderSandbox is a built-in test bank with its own user list.
	ProviderSandbox ProviderKind = "sandbox"
	// ProviderOAuth2 is an upstream bank authorization server.
	ProviderOAuth2 ProviderKind = "oauth2"
)

// Provider is a data provider (a bank).
type Provider struct {
	ID      string
	Name    string
	Country string
	Kind    ProviderKind
	// Scopes lists the user-data scopes the provider offers.
	Scopes []string
	// Disabled suspends the provider: it is listed as Suspended and new
	// authorizations with it are rejected.
	Disabled bool
	// Upstream holds the JSON configuration of an oauth2 provider, empty for a
	// sandbox provider.
	Upstream  []byte
	CreatedAt time.Time
}

// SandboxUser is an end user of a sandbox provider.
type SandboxUser struct {
	ProviderID string
	Username   string
	// PasswordHash is a PHC-formatted Argon2id hash.
	PasswordHash string
	CreatedAt    time.Time
}

// AuthStage is the step a pending authorization request has reached.
type AuthStage string

const (
	StageSignIn  AuthStage = "signin"
	StageConsent AuthStage = "consent"
	StageDone    AuthStage = "done"
)

// AuthRequest is a validated authorization request waiting for the end user to
// sign in and consent. It is bound to one browser session and used once.
type AuthRequest struct {
	ID string
	// SessionHash is the SHA-256 digest of the browser session cookie that the
	// request is bound to. Signing in replaces it.
	SessionHash         []byte
	ClientID            string
	RedirectURI         string
	State               string
	Scopes              []string
	ProviderID          string
	CodeChallenge       string
	CodeChallengeMethod string
	CorrelationID       string
	Locale              string
	Stage               AuthStage
	// UserID is the provider's identifier of the end user, set at sign-in.
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Connection is one end user at one provider, authorized for one client.
type Connection struct {
	ID         string
	ClientID   string
	ProviderID string
	// UserID is the provider's identifier of the end user. It never leaves the
	// server; tokens carry Subject instead.
	UserID string
	// Subject is the pairwise sub claim of the connection's tokens.
	Subject string
	Scopes  []string
	// GrantID identifies the latest authorization of the connection. Codes and
	// refresh tokens of an earlier grant are no longer usable.
	GrantID   string
	CreatedAt time.Time
	UpdatedAt time.Time
	RevokedAt *time.Time
}

// Active reports whether the connection has not been revoked.
func (c Connection) Active() bool {
	return c.RevokedAt == nil
}

// AuthCode is an authorization code, stored by the SHA-256 digest of its value.
type AuthCode struct {
	Hash                []byte
	ClientID            string
	RedirectURI         string
	ConnectionID        string
	GrantID             string
	Scopes              []string
	CodeChallenge       string
	CodeChallengeMethod string
	CorrelationID       string
	CreatedAt           time.Time
	ExpiresAt           time.Time
	// UsedAt is set by the first redemption.
	UsedAt *time.Time
}

// RefreshToken is an opaque refresh token, stored by the SHA-256 digest of its
// value.
type RefreshToken struct {
	Hash         []byte
	ConnectionID string
	ClientID     string
	GrantID      string
	Scopes       []string
	// ParentHash is the hash of the token this one replaced, empty for the
	// first token of a grant.
	ParentHash []byte
	// AccessTokenID is the jti of the access token issued together with this
	// refresh token.
	AccessTokenID string
	CreatedAt     time.Time
	// ExpiresAt is the idle expiry. A refresh token is replaced at every use,
	// so its age is the time the connection has gone unused.
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// AccessToken is the server's record of an issued JWT access token, kept so
// that revocation takes effect before the token expires.
type AccessToken struct {
	ID       string // the jti claim
	ClientID string
	// ConnectionID is empty for a client-credentials token.
	ConnectionID string
	Subject      string
	Scopes       []string
	// KeyID is the kid of the key that signed the token.
	KeyID     string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// RevokedAt is set when the token, its connection or its signing key
	// was revoked.
	RevokedAt *time.Time
}

// SigningKey is an access-token signing key.
type SigningKey struct {
	ID        string // the kid header
	Algorithm string // a JOSE algorithm name such as ES256
	// PrivateKey is the private key, encrypted with the key-encryption key.
	PrivateKey []byte
	// PublicKey is the public key as a JSON Web Key.
	PublicKey []byte
	CreatedAt time.Time
	// ActivatesAt is when the key may start signing; before that it is only
	// published.
	ActivatesAt time.Time
	// RetiredAt is when a newer key took over signing.
	RetiredAt *time.Time
	// RevokedAt withdraws the key at once: tokens it signed stop validating.
	RevokedAt *time.Time
}
