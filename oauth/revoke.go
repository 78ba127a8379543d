package oauth

import (
	"context"
	"errors"
	"slices"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

// Bearer is a verified access token and the server's record of it.
type Bearer struct {
	Claims tokens.AccessClaims
	Record consentry.AccessToken
}

// Revoked reports whether the token or its connection was revoked.
func (b Bearer) Revoked() bool {
	return b.Record.RevokedAt != nil
}

// VerifyBearer checks an access token's signature, typ, iss, aud and expiry
// with the stored keys, then loads its record. A revoked token is returned
// without error, so that each caller decides what revocation means for it.
func (s *Server) VerifyBearer(ctx context.Context, token string) (Bearer, error) {
	claims, err := s.keys.Verify(ctx, token, s.cfg.Issuer, s.cfg.Audience)
	if errors.Is(err, tokens.ErrInvalidToken) {
		return Bearer{}, ErrBearerInvalid.WithCause(err)
	}
	if err != nil {
		return Bearer{}, StoreError(err)
	}
	record, err := s.store.GetAccessToken(ctx, claims.ID)
	if errors.Is(err, consentry.ErrNotFound) {
		return Bearer{}, ErrBearerInvalid.WithCause(err)
	}
	if err != nil {
		return Bearer{}, StoreError(err)
	}
	return Bearer{Claims: claims, Record: record}, nil
}

// RequireAdmin verifies a bearer token for a management endpoint: it must be
// live and carry client:admin, which only client-credentials tokens can.
func (s *Server) RequireAdmin(ctx context.Context, token string) (Bearer, error) {
	bearer, err := s.VerifyBearer(ctx, token)
	if err != nil {
		return Bearer{}, err
	}
	if bearer.Revoked() {
		return Bearer{}, ErrBearerInvalid.WithCause(errors.New("access token revoked"))
	}
	if bearer.Record.ConnectionID != "" || !slices.Contains(bearer.Record.Scopes, consentry.ScopeClientAdmin) {
		return Bearer{}, ErrBearerScope
	}
	return bearer, nil
}

// RevokeBearer revokes the connection of a bearer access token, or the token
// alone when it is a client-credentials token. A token that is already
// revoked succeeds again, so that a client can retry after a lost response.
// A token whose signing key was revoked is invalid instead: a replica whose
// key cache still holds the key would otherwise answer success while the
// connection stays active.
func (s *Server) RevokeBearer(ctx context.Context, token string) error {
	bearer, err := s.VerifyBearer(ctx, token)
	if err != nil {
		return err
	}
	if !bearer.Revoked() {
		return s.revokeAccess(ctx, bearer.Record)
	}
	revoked, err := s.keyRevoked(ctx, bearer.Record.KeyID)
	if err != nil {
		return err
	}
	if revoked {
		return ErrBearerInvalid.WithCause(errors.New("signing key revoked"))
	}
	return nil
}

// keyRevoked reports whether the signing key kid is revoked in the store,
// which the key cache of this replica may not know yet.
func (s *Server) keyRevoked(ctx context.Context, kid string) (bool, error) {
	if kid == "" {
		return false, nil
	}
	keys, err := s.store.ListSigningKeys(ctx)
	if err != nil {
		return false, StoreError(err)
	}
	for _, k := range keys {
		if k.ID == kid {
			return k.RevokedAt != nil, nil
		}
	}
	return false, nil
}

// Token type hints of RFC 7009 §2.1.
const (
	HintAccessToken  = "access_token"
	HintRefreshToken = "refresh_token"
)

// Revoke implements RFC 7009 for an authenticated client. Revoking a token of
// a connection revokes the whole connection. An unknown, expired or revoked
// token, and a token of another client, succeed without effect, so that the
// endpoint cannot be used to probe or revoke other clients' tokens. A hint
// other than access_token or refresh_token is rejected before the token is
// looked at, so that the answer never depends on whether the token exists.
func (s *Server) Revoke(ctx context.Context, client consentry.Client, token, hint string) error {
	if token == "" {
		return ErrTokenParamMissing
	}
	if hint != "" && hint != HintAccessToken && hint != HintRefreshToken {
		return ErrTokenTypeHint
	}
	order := []func(context.Context, consentry.Client, string) (bool, error){
		s.revokeAsAccessToken, s.revokeAsRefreshToken,
	}
	if hint == HintRefreshToken {
		slices.Reverse(order)
	}
	for _, revoke := range order {
		found, err := revoke(ctx, client, token)
		if err != nil || found {
			return err
		}
	}
	return nil
}

func (s *Server) revokeAsAccessToken(ctx context.Context, client consentry.Client, token string) (bool, error) {
	bearer, err := s.VerifyBearer(ctx, token)
	if errors.Is(err, ErrBearerInvalid) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if bearer.Record.ClientID != client.ID || bearer.Revoked() {
		return true, nil
	}
	return true, s.revokeAccess(ctx, bearer.Record)
}

func (s *Server) revokeAsRefreshToken(ctx context.Context, client consentry.Client, token string) (bool, error) {
	rt, _, err := s.store.GetRefreshToken(ctx, tokens.Hash(token))
	if errors.Is(err, consentry.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, StoreError(err)
	}
	if rt.ClientID != client.ID {
		return true, nil
	}
	if err := s.store.RevokeConnection(ctx, rt.ConnectionID, s.now()); err != nil {
		return true, StoreError(err)
	}
	return true, nil
}

func (s *Server) revokeAccess(ctx context.Context, record consentry.AccessToken) error {
	var err error
	if record.ConnectionID != "" {
		err = s.store.RevokeConnection(ctx, record.ConnectionID, s.now())
	} else {
		err = s.store.RevokeAccessToken(ctx, record.ID, s.now())
	}
	if err != nil {
		return StoreError(err)
	}
	return nil
}
