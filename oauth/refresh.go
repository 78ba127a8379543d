package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

// refresh rotates a refresh token (RFC 6749 §6, RFC 9700 §4.14.2).
//
// Every use returns a new refresh token and the used one stops working. A
// used token presented again is handled in this order:
//
//  1. within the refresh grace (off by default), by the same client, while
//     the token that replaced it is still unused: the unused pair is revoked
//     and a fresh pair issued, for a client that lost the response;
//  2. within the reuse window (default 5 s): invalid_grant and nothing else,
//     because concurrent requests and immediate retries look like this;
//  3. later: the token was stolen, so the whole connection is revoked.
//
// Which of two concurrent requests wins is decided by the store's
// conditional update, never here.
func (s *Server) refresh(ctx context.Context, client consentry.Client, params map[string]string) (TokenResponse, error) {
	value := params["refresh_token"]
	if value == "" {
		return TokenResponse{}, ErrRefreshMissing
	}
	now := s.now()
	rt, conn, err := s.store.GetRefreshToken(ctx, tokens.Hash(value))
	if errors.Is(err, consentry.ErrNotFound) {
		return TokenResponse{}, ErrRefreshInvalid.WithCause(err)
	}
	if err != nil {
		return TokenResponse{}, StoreError(err)
	}
	if e := checkRefreshToken(rt, conn, client, now); e != nil {
		return TokenResponse{}, e
	}
	// A used token goes to the reuse rules before its scope is looked at,
	// so that asking for a bad scope cannot hide a stolen token's reuse.
	if rt.UsedAt != nil {
		return s.refreshUsed(ctx, client, rt, conn, params, now)
	}
	return s.rotate(ctx, client, rt, conn, params, now)
}

// rotate replaces an unused refresh token with a new pair.
func (s *Server) rotate(ctx context.Context, client consentry.Client, rt consentry.RefreshToken,
	conn consentry.Connection, params map[string]string, now time.Time) (TokenResponse, error) {
	scopes, e := refreshScope(rt, params)
	if e != nil {
		return TokenResponse{}, e
	}
	access, record, err := s.accessToken(ctx, client.ID, conn.ID, conn.Subject, scopes, now)
	if err != nil {
		return TokenResponse{}, err
	}
	refresh, next := s.newRefreshToken(conn, client.ID, rt.Scopes, rt.Hash, record.ID, now)
	access, _, err = s.saveAccessToken(ctx, access, record, func(r consentry.AccessToken) error {
		return s.store.RotateRefreshToken(ctx, rt.Hash, now, next, r)
	})
	switch {
	case errors.Is(err, consentry.ErrConflict):
		// Another request used the token first, or the connection was revoked
		// meanwhile: read it again and treat it as the used token it now is.
		return s.refreshLost(ctx, client, rt.Hash, params, now)
	case errors.Is(err, consentry.ErrNotFound):
		// The token was deleted after it expired while this request ran.
		return TokenResponse{}, ErrRefreshInvalid.WithCause(err)
	case err != nil && !s.storedDespite(ctx, next.Hash, ""):
		return TokenResponse{}, StoreError(err)
	}
	return s.connectionResponse(access, refresh, scopes, conn), nil
}

// checkRefreshToken rejects a token that belongs to another client, was
// revoked, belongs to a superseded grant or a revoked connection, or expired.
// A used token passes: refreshUsed decides about it.
func checkRefreshToken(rt consentry.RefreshToken, conn consentry.Connection,
	client consentry.Client, now time.Time) *Error {
	switch {
	case rt.ClientID != client.ID:
		return ErrRefreshInvalid.WithCause(errors.New("refresh token of another client"))
	case rt.RevokedAt != nil || !conn.Active():
		return ErrRefreshInvalid.WithCause(errors.New("refresh token revoked"))
	case rt.GrantID != conn.GrantID:
		return ErrRefreshInvalid.WithCause(errors.New("refresh token superseded by a newer authorization"))
	case !now.Before(rt.ExpiresAt):
		return ErrRefreshExpired
	}
	return nil
}

// refreshScope returns the scope of the new access token: the requested
// scope if it is within the granted one (RFC 6749 §6), else the granted
// scope. The new refresh token always keeps the granted scope.
func refreshScope(rt consentry.RefreshToken, params map[string]string) ([]string, *Error) {
	requested, e := parseScope(params["scope"])
	if e != nil {
		return nil, e
	}
	if len(requested) == 0 {
		return rt.Scopes, nil
	}
	if !consentry.ContainsAll(rt.Scopes, requested) {
		return nil, ErrScopeBroader
	}
	return requested, nil
}

// refreshLost handles the loser of a race on one refresh token.
func (s *Server) refreshLost(ctx context.Context, client consentry.Client, hash []byte,
	params map[string]string, now time.Time) (TokenResponse, error) {
	rt, conn, err := s.store.GetRefreshToken(ctx, hash)
	if errors.Is(err, consentry.ErrNotFound) {
		return TokenResponse{}, ErrRefreshInvalid.WithCause(err)
	}
	if err != nil {
		return TokenResponse{}, StoreError(err)
	}
	if e := checkRefreshToken(rt, conn, client, now); e != nil {
		return TokenResponse{}, e
	}
	if rt.UsedAt == nil {
		return TokenResponse{}, ErrRefreshInvalid.WithCause(errors.New("rotation conflict on an unused token"))
	}
	return s.refreshUsed(ctx, client, rt, conn, params, now)
}

// refreshUsed applies the grace, the reuse window and the theft rule, in that
// order, to a token that was used before. The requested scope matters only
// to a retry within the grace, the one case that issues tokens.
func (s *Server) refreshUsed(ctx context.Context, client consentry.Client, rt consentry.RefreshToken,
	conn consentry.Connection, params map[string]string, now time.Time) (TokenResponse, error) {
	since := now.Sub(*rt.UsedAt)
	if grace := s.refreshGrace(client); grace > 0 && since <= grace {
		resp, err := s.refreshRetry(ctx, client, rt, conn, params, now)
		if err == nil || !errors.Is(err, consentry.ErrConflict) {
			return resp, err
		}
	}
	if since <= s.cfg.RefreshReuseWindow {
		return TokenResponse{}, ErrRefreshInvalid.WithCause(errors.New("refresh token reused within the race window"))
	}

	if err := s.store.RevokeConnection(ctx, conn.ID, now); err != nil {
		return TokenResponse{}, StoreError(err)
	}
	if s.hooks.RefreshReuseDetected != nil {
		s.hooks.RefreshReuseDetected()
	}
	s.log.WarnContext(ctx, "refresh token reused after the race window; connection revoked",
		"request_id", requestID(ctx), "client_id", client.ID, "connection_id", conn.ID, "since_use", since.String())
	return TokenResponse{}, ErrRefreshInvalid.WithCause(errors.New("refresh token reuse detected"))
}

func (s *Server) refreshGrace(client consentry.Client) time.Duration {
	if client.RefreshGrace != nil {
		return *client.RefreshGrace
	}
	return s.cfg.RefreshGrace
}

// refreshRetry issues a fresh pair in place of the still unused pair that
// replaced rt. It returns consentry.ErrConflict when that pair is gone or
// used, so that the caller goes on with the reuse rules. The scope is checked
// only after that, so that a bad scope cannot skip those rules.
func (s *Server) refreshRetry(ctx context.Context, client consentry.Client, rt consentry.RefreshToken,
	conn consentry.Connection, params map[string]string, now time.Time) (TokenResponse, error) {
	successor, err := s.store.GetSuccessor(ctx, rt.Hash)
	if errors.Is(err, consentry.ErrNotFound) {
		return TokenResponse{}, consentry.ErrConflict
	}
	if err != nil {
		return TokenResponse{}, StoreError(err)
	}
	if successor.UsedAt != nil || successor.RevokedAt != nil {
		return TokenResponse{}, consentry.ErrConflict
	}
	scopes, e := refreshScope(rt, params)
	if e != nil {
		return TokenResponse{}, e
	}

	access, record, err := s.accessToken(ctx, client.ID, conn.ID, conn.Subject, scopes, now)
	if err != nil {
		return TokenResponse{}, err
	}
	refresh, next := s.newRefreshToken(conn, client.ID, rt.Scopes, rt.Hash, record.ID, now)
	access, _, err = s.saveAccessToken(ctx, access, record, func(r consentry.AccessToken) error {
		return s.store.ReplaceSuccessor(ctx, successor.Hash, now, next, r)
	})
	switch {
	case errors.Is(err, consentry.ErrConflict) || errors.Is(err, consentry.ErrNotFound):
		return TokenResponse{}, consentry.ErrConflict
	case err != nil && !s.storedDespite(ctx, next.Hash, ""):
		return TokenResponse{}, StoreError(err)
	}
	s.log.InfoContext(ctx, "refresh retried within the grace; unused pair replaced",
		"request_id", requestID(ctx), "client_id", client.ID, "connection_id", conn.ID)
	return s.connectionResponse(access, refresh, scopes, conn), nil
}
