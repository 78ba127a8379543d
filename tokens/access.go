package tokens

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ErrInvalidToken means an access token failed verification. Verify wraps it
// with the reason, which belongs in logs and not in responses.
var ErrInvalidToken = errors.New("invalid token")

// AccessTokenType is the typ header of access tokens (RFC 9068 §2.1).
const AccessTokenType = "at+jwt"

// maxClockSkew is how far in the future an iat or nbf claim may lie.
const maxClockSkew = 60 * time.Second

// maxTokenSize bounds the input of Verify. Tokens that this server signs are
// well under 1 KiB.
const maxTokenSize = 8 << 10

// acceptedAlgorithms are the algorithms a signing key may have. Verify also
// requires the alg header to equal the algorithm of the key named by kid.
var acceptedAlgorithms = []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA}

// AccessClaims are the claims of a JWT access token (RFC 9068 §2.2).
type AccessClaims struct {
	Issuer   string
	Subject  string
	ClientID string
	Audience string
	// ID is the jti claim.
	ID string
	// Scope is a space-separated list of scopes.
	Scope     string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

type accessTokenClaims struct {
	jwt.Claims
	ClientID string `json:"client_id,omitempty"`
	Scope    string `json:"scope,omitempty"`
}

// Sign returns the access token for c as a compact JWS with the headers alg,
// kid and typ "at+jwt", signed with the newest active key. An unset IssuedAt
// means now. Times are rounded down to whole seconds.
func (m *KeyManager) Sign(ctx context.Context, c AccessClaims) (string, error) {
	token, _, err := m.SignWithKeyID(ctx, c)
	return token, err
}

// SignWithKeyID is Sign that also returns the kid of the signing key, which
// the caller records so that revoking the key revokes the token.
func (m *KeyManager) SignWithKeyID(ctx context.Context, c AccessClaims) (string, string, error) {
	if c.IssuedAt.IsZero() {
		c.IssuedAt = m.now()
	}
	if err := c.validate(); err != nil {
		return "", "", err
	}

	set, err := m.keys(ctx)
	if err != nil {
		return "", "", err
	}
	key := set.signer(m.now())
	if key == nil {
		return "", "", errors.New("tokens: sign: no active signing key")
	}

	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: key.alg, Key: jose.JSONWebKey{Key: key.private, KeyID: key.id}},
		(&jose.SignerOptions{}).WithType(AccessTokenType),
	)
	if err != nil {
		return "", "", fmt.Errorf("tokens: sign: %w", err)
	}

	token, err := jwt.Signed(signer).Claims(c.jwtClaims()).Serialize()
	if err != nil {
		return "", "", fmt.Errorf("tokens: sign: %w", err)
	}
	return token, key.id, nil
}

func (c AccessClaims) jwtClaims() accessTokenClaims {
	return accessTokenClaims{
		Claims: jwt.Claims{
			Issuer:   c.Issuer,
			Subject:  c.Subject,
			Audience: jwt.Audience{c.Audience},
			Expiry:   jwt.NewNumericDate(c.ExpiresAt),
			IssuedAt: jwt.NewNumericDate(c.IssuedAt),
			ID:       c.ID,
		},
		ClientID: c.ClientID,
		Scope:    c.Scope,
	}
}

// validate rejects claims that Verify would reject, so that the server never
// hands out a token it does not accept itself.
func (c AccessClaims) validate() error {
	required := []struct{ name, value string }{
		{"iss", c.Issuer}, {"sub", c.Subject}, {"client_id", c.ClientID},
		{"aud", c.Audience}, {"jti", c.ID},
	}
	var missing []string
	for _, claim := range required {
		if claim.value == "" {
			missing = append(missing, claim.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("tokens: sign: missing claims %s", strings.Join(missing, ", "))
	}
	if !c.ExpiresAt.After(c.IssuedAt) {
		return errors.New("tokens: sign: expiry must be after the issue time")
	}
	return nil
}

// Verify checks an access token and returns its claims. The token must be a
// compact JWS whose kid names a stored, unrevoked key, whose alg equals that
// key's algorithm, whose typ is "at+jwt" or "application/at+jwt" (RFC 9068
// §4), and whose signature is valid. Its iss must equal issuer, its aud must
// contain audience, exp must be after now, iat must be at most 60 s ahead,
// and jti, sub and client_id must be present. Any failure is ErrInvalidToken,
// wrapped with the reason. Other errors come from the store.
func (m *KeyManager) Verify(ctx context.Context, token, issuer, audience string) (
	AccessClaims, error) {
	if issuer == "" || audience == "" {
		return AccessClaims{}, errors.New("tokens: verify: issuer and audience are required")
	}
	if len(token) > maxTokenSize {
		return AccessClaims{}, invalid("token of %d bytes is too long", len(token))
	}
	parsed, err := jwt.ParseSigned(token, acceptedAlgorithms)
	if err != nil {
		return AccessClaims{}, invalid("not a compact JWS with an accepted alg: %v", err)
	}
	header := parsed.Headers[0]
	if err := checkType(header); err != nil {
		return AccessClaims{}, err
	}
	key, err := m.verificationKey(ctx, header.KeyID)
	if err != nil {
		return AccessClaims{}, err
	}
	if header.Algorithm != string(key.alg) {
		return AccessClaims{}, invalid("alg %q differs from %q of key %q",
			header.Algorithm, key.alg, key.id)
	}
	var claims accessTokenClaims
	if err := parsed.Claims(key.public, &claims); err != nil {
		return AccessClaims{}, invalid("signature or payload: %v", err)
	}
	return checkClaims(claims, issuer, audience, m.now())
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("tokens: %w: %s", ErrInvalidToken, fmt.Sprintf(format, args...))
}

func checkType(header jose.Header) error {
	typ, _ := header.ExtraHeaders[jose.HeaderType].(string)
	if !strings.EqualFold(typ, AccessTokenType) &&
		!strings.EqualFold(typ, "application/"+AccessTokenType) {
		return invalid("typ %q is not %q", typ, AccessTokenType)
	}
	return nil
}

// verificationKey returns the unrevoked key named kid. An unknown kid reloads
// the key list, within the rate of forcedReloadInterval, because another
// replica may have stored the key after this one loaded the list.
func (m *KeyManager) verificationKey(ctx context.Context, kid string) (*signingKey, error) {
	if kid == "" {
		return nil, invalid("missing kid")
	}
	set, err := m.keys(ctx)
	if err != nil {
		return nil, err
	}
	if key, ok := set.byID[kid]; ok {
		return key, nil
	}
	if !m.unknownKID.AllowN(m.now(), 1) {
		return nil, invalid("kid %q is not a known signing key; reload rate-limited", kid)
	}
	if set, err = m.reload(ctx, 0); err != nil {
		return nil, err
	}
	if key, ok := set.byID[kid]; ok {
		return key, nil
	}
	return nil, invalid("kid %q is not an unrevoked signing key", kid)
}

func checkClaims(c accessTokenClaims, issuer, audience string, now time.Time) (
	AccessClaims, error) {
	switch {
	case c.Issuer != issuer:
		return AccessClaims{}, invalid("iss %q is not %q", c.Issuer, issuer)
	case !c.Audience.Contains(audience):
		return AccessClaims{}, invalid("aud %q does not contain %q", c.Audience, audience)
	case c.Expiry == nil:
		return AccessClaims{}, invalid("missing exp")
	case !c.Expiry.Time().After(now):
		return AccessClaims{}, invalid("expired at %s", c.Expiry.Time().UTC().Format(time.RFC3339))
	case c.IssuedAt == nil:
		return AccessClaims{}, invalid("missing iat")
	case c.IssuedAt.Time().After(now.Add(maxClockSkew)):
		return AccessClaims{}, invalid("iat %s is in the future",
			c.IssuedAt.Time().UTC().Format(time.RFC3339))
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(maxClockSkew)):
		return AccessClaims{}, invalid("nbf %s is in the future",
			c.NotBefore.Time().UTC().Format(time.RFC3339))
	case c.ID == "" || c.Subject == "" || c.ClientID == "":
		return AccessClaims{}, invalid("missing jti, sub or client_id")
	}
	return AccessClaims{
		Issuer:    c.Issuer,
		Subject:   c.Subject,
		ClientID:  c.ClientID,
		Audience:  audience,
		ID:        c.ID,
		Scope:     c.Scope,
		IssuedAt:  c.IssuedAt.Time().UTC(),
		ExpiresAt: c.Expiry.Time().UTC(),
	}, nil
}
