package oauth

import (
	"context"
	"errors"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

// Introspection is an RFC 7662 §2.2 response. An inactive token has only
// Active false, so that nothing about it leaks.
type Introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Subject   string `json:"sub,omitempty"`
	ExpiresAt int64  `json:"exp,omitempty"`
	IssuedAt  int64  `json:"iat,omitempty"`
	Issuer    string `json:"iss,omitempty"`
	Audience  string `json:"aud,omitempty"`
	// TokenType is Bearer for an access token (RFC 6749 §7.1) and
	// refresh_token for a refresh token.
	TokenType string `json:"token_type,omitempty"`
	ID        string `json:"jti,omitempty"`
}

// Introspect reports whether token is a live access or refresh token of the
// calling client (RFC 7662). Tokens of other clients are reported inactive,
// so that a client cannot learn about tokens it does not hold. The hint is
// ignored (RFC 7662 §2.1): an access token is recognised by its JWS shape
// without a storage read, so each call costs one indexed read either way.
func (s *Server) Introspect(ctx context.Context, client consentry.Client, token string) (Introspection, error) {
	if token == "" {
		return Introspection{}, ErrTokenParamMissing
	}
	inactive := Introspection{}
	bearer, err := s.VerifyBearer(ctx, token)
	switch {
	case err == nil:
		if bearer.Revoked() || bearer.Record.ClientID != client.ID {
			return inactive, nil
		}
		return Introspection{
			Active:    true,
			Scope:     consentry.FormatScope(bearer.Record.Scopes),
			ClientID:  bearer.Record.ClientID,
			Subject:   bearer.Claims.Subject,
			ExpiresAt: bearer.Claims.ExpiresAt.Unix(),
			IssuedAt:  bearer.Claims.IssuedAt.Unix(),
			Issuer:    s.cfg.Issuer,
			Audience:  bearer.Claims.Audience,
			TokenType: "Bearer",
			ID:        bearer.Claims.ID,
		}, nil
	case !errors.Is(err, ErrBearerInvalid):
		return Introspection{}, err
	}

	rt, conn, err := s.store.GetRefreshToken(ctx, tokens.Hash(token))
	if errors.Is(err, consentry.ErrNotFound) {
		return inactive, nil
	}
	if err != nil {
		return Introspection{}, StoreError(err)
	}
	if checkRefreshToken(rt, conn, client, s.now()) != nil || rt.UsedAt != nil {
		return inactive, nil
	}
	return Introspection{
		Active:    true,
		Scope:     consentry.FormatScope(rt.Scopes),
		ClientID:  rt.ClientID,
		Subject:   conn.Subject,
		ExpiresAt: rt.ExpiresAt.Unix(),
		IssuedAt:  rt.CreatedAt.Unix(),
		Issuer:    s.cfg.Issuer,
		TokenType: "refresh_token",
	}, nil
}
