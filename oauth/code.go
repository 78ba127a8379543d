package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

// exchangeCode redeems an authorization code (RFC 6749 §4.1.3). The code is
// marked used before anything else is checked, so that a code presented with
// a wrong client, redirect URI or verifier cannot be tried again. A code
// presented a second time revokes the connection it was issued for, with the
// tokens of the first exchange, because the code has leaked (RFC 6749
// §4.1.2, RFC 9700 §4.5).
func (s *Server) exchangeCode(ctx context.Context, client consentry.Client,
	params map[string]string) (TokenResponse, error) {
	value := params["code"]
	if value == "" {
		return TokenResponse{}, ErrCodeMissing
	}
	redirectURI := params["redirect_uri"]
	if redirectURI == "" {
		return TokenResponse{}, ErrTokenRedirectURI
	}

	now := s.now()
	// NOTE: when the database marks the code used but its reply is lost
	// with the connection, the client gets temporarily_unavailable and its
	// retry counts as a replay, which revokes the connection.
	code, err := s.store.RedeemCode(ctx, tokens.Hash(value), now)
	switch {
	case errors.Is(err, consentry.ErrNotFound):
		return TokenResponse{}, ErrCodeInvalid.WithCause(err)
	case errors.Is(err, consentry.ErrConflict):
		return TokenResponse{}, s.codeReplayed(ctx, code, client)
	case err != nil:
		return TokenResponse{}, StoreError(err)
	}

	if e := checkRedeemedCode(code, client, redirectURI, params["code_verifier"], now); e != nil {
		return TokenResponse{}, e
	}
	return s.issueCodeTokens(ctx, client, code, now)
}

// checkRedeemedCode checks the bindings of a code: client, expiry, redirect
// URI (RFC 6749 §4.1.3) and PKCE (RFC 7636 §4.6).
func checkRedeemedCode(code consentry.AuthCode, client consentry.Client, redirectURI,
	verifier string, now time.Time) *Error {
	if code.ClientID != client.ID {
		return ErrCodeInvalid.WithCause(errors.New("code issued to another client"))
	}
	if !now.Before(code.ExpiresAt) {
		return ErrCodeInvalid.WithCause(errors.New("code expired"))
	}
	if code.RedirectURI != redirectURI {
		return ErrRedirectMismatch
	}
	return checkVerifier(code, verifier)
}

func checkVerifier(code consentry.AuthCode, verifier string) *Error {
	switch {
	case code.CodeChallenge == "" && verifier != "":
		return ErrVerifierUnexpected
	case code.CodeChallenge == "":
		return nil
	case verifier == "":
		return ErrVerifierMissing
	case !isCodeVerifier(verifier):
		return ErrCodeVerifierFormat
	}
	digest := sha256.Sum256([]byte(verifier))
	computed := base64.RawURLEncoding.EncodeToString(digest[:])
	if subtle.ConstantTimeCompare([]byte(computed), []byte(code.CodeChallenge)) != 1 {
		return ErrVerifierMismatch
	}
	return nil
}

// isCodeVerifier reports whether v is 43 to 128 characters of the unreserved
// set [A-Za-z0-9-._~] (RFC 7636 §4.1).
func isCodeVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, r := range v {
		if !isBase64URL(r) && r != '.' && r != '~' {
			return false
		}
	}
	return true
}

// codeReplayed revokes what a replayed code issued and returns invalid_grant.
func (s *Server) codeReplayed(ctx context.Context, code consentry.AuthCode, client consentry.Client) error {
	if err := s.store.RevokeConnection(ctx, code.ConnectionID, s.now()); err != nil &&
		!errors.Is(err, consentry.ErrNotFound) {
		return StoreError(err)
	}
	s.log.WarnContext(ctx, "authorization code replayed; connection revoked",
		"request_id", requestID(ctx), "client_id", client.ID, "code_client_id", code.ClientID,
		"connection_id", code.ConnectionID, "correlation_id", code.CorrelationID)
	return ErrCodeInvalid.WithCause(errors.New("code replayed"))
}

func (s *Server) issueCodeTokens(ctx context.Context, client consentry.Client, code consentry.AuthCode,
	now time.Time) (TokenResponse, error) {
	conn, err := s.store.GetConnection(ctx, code.ConnectionID)
	if errors.Is(err, consentry.ErrNotFound) {
		return TokenResponse{}, ErrCodeInvalid.WithCause(err)
	}
	if err != nil {
		return TokenResponse{}, StoreError(err)
	}
	if !conn.Active() || conn.GrantID != code.GrantID {
		return TokenResponse{}, ErrCodeInvalid.WithCause(errors.New("connection revoked or re-authorized"))
	}

	access, record, err := s.accessToken(ctx, client.ID, conn.ID, conn.Subject, code.Scopes, now)
	if err != nil {
		return TokenResponse{}, err
	}
	if !client.AllowsGrant(consentry.GrantRefreshToken) {
		access, record, err = s.saveAccessToken(ctx, access, record, func(r consentry.AccessToken) error {
			return s.store.CreateAccessToken(ctx, r)
		})
		if err != nil && !s.storedDespite(ctx, nil, record.ID) {
			return TokenResponse{}, StoreError(err)
		}
		return s.connectionResponse(access, "", code.Scopes, conn), nil
	}

	refresh, rt := s.newRefreshToken(conn, client.ID, code.Scopes, nil, record.ID, now)
	access, _, err = s.saveAccessToken(ctx, access, record, func(r consentry.AccessToken) error {
		return s.store.IssueCodeTokens(ctx, rt, r)
	})
	switch {
	case errors.Is(err, consentry.ErrConflict) || errors.Is(err, consentry.ErrNotFound):
		// The connection was revoked, authorized again or deleted with its
		// client since the code was read.
		return TokenResponse{}, ErrCodeInvalid.WithCause(err)
	case err != nil && !s.storedDespite(ctx, rt.Hash, ""):
		return TokenResponse{}, StoreError(err)
	}
	return s.connectionResponse(access, refresh, code.Scopes, conn), nil
}
