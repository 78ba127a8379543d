package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

// TokenResponse is a successful token response (RFC 6749 §5.1) with the
// connection and provider the tokens belong to.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	ConnectionID string `json:"connection_id,omitempty"`
	ProviderID   string `json:"provider_id,omitempty"`
}

// Token handles a token request of an authenticated client. params are the
// body parameters, each present at most once.
func (s *Server) Token(ctx context.Context, client consentry.Client, params map[string]string) (TokenResponse, error) {
	grantType := params["grant_type"]
	switch grantType {
	case "":
		return TokenResponse{}, ErrGrantTypeMissing
	case consentry.GrantAuthorizationCode, consentry.GrantRefreshToken, consentry.GrantClientCredentials:
	default:
		return TokenResponse{}, ErrGrantTypeUnknown
	}
	if !client.AllowsGrant(grantType) {
		return TokenResponse{}, ErrGrantNotAllowed
	}

	var resp TokenResponse
	var err error
	switch grantType {
	case consentry.GrantAuthorizationCode:
		resp, err = s.exchangeCode(ctx, client, params)
	case consentry.GrantRefreshToken:
		resp, err = s.refresh(ctx, client, params)
	case consentry.GrantClientCredentials:
		resp, err = s.clientCredentials(ctx, client, params)
	}
	if err != nil {
		return TokenResponse{}, err
	}
	s.tokenIssued(grantType)
	return resp, nil
}

// accessToken signs a new access token and returns it with its record.
func (s *Server) accessToken(ctx context.Context, clientID, connectionID, subject string,
	scopes []string, now time.Time) (string, consentry.AccessToken, error) {
	record := consentry.AccessToken{
		ID:           tokens.NewID(),
		ClientID:     clientID,
		ConnectionID: connectionID,
		Subject:      subject,
		Scopes:       scopes,
		IssuedAt:     now,
		ExpiresAt:    now.Add(s.cfg.AccessTokenTTL),
	}
	return s.sign(ctx, record)
}

// sign signs the access token that record describes with the current
// signing key and returns it with the record's KeyID set.
func (s *Server) sign(ctx context.Context, record consentry.AccessToken) (string, consentry.AccessToken, error) {
	jwt, kid, err := s.keys.SignWithKeyID(ctx, tokens.AccessClaims{
		Issuer:    s.cfg.Issuer,
		Subject:   record.Subject,
		ClientID:  record.ClientID,
		Audience:  s.cfg.Audience,
		ID:        record.ID,
		Scope:     consentry.FormatScope(record.Scopes),
		IssuedAt:  record.IssuedAt,
		ExpiresAt: record.ExpiresAt,
	})
	if err != nil {
		return "", consentry.AccessToken{}, StoreError(err)
	}
	record.KeyID = kid
	return jwt, record, nil
}

// saveAccessToken calls save with the record of a signed access token. When
// the store reports that the signing key was revoked, by another replica or
// the command line since this replica last loaded its keys, it reloads the
// keys, signs the same claims with a current key and saves once more, so
// that no client receives a token that is refused on arrival.
func (s *Server) saveAccessToken(ctx context.Context, jwt string, record consentry.AccessToken,
	save func(consentry.AccessToken) error) (string, consentry.AccessToken, error) {
	err := save(record)
	if !errors.Is(err, consentry.ErrKeyRevoked) {
		return jwt, record, err
	}
	s.log.InfoContext(ctx, "signing key revoked elsewhere; signing again with a current key",
		"request_id", requestID(ctx), "kid", record.KeyID)
	if err := s.keys.Reload(ctx); err != nil {
		return "", consentry.AccessToken{}, err
	}
	jwt, record, err = s.sign(ctx, record)
	if err != nil {
		return "", consentry.AccessToken{}, err
	}
	return jwt, record, save(record)
}

// storedDespite reports whether a token write that failed was stored after
// all, by looking up the new refresh token's hash or, when refreshHash is nil,
// the access token's id. A connection that drops before the reply to COMMIT
// arrives leaves the outcome unknown, and an error would send the client back with a
// refresh token already used or a code already redeemed. While the storage
// stays unreachable the lookup fails too, and the write counts as failed.
func (s *Server) storedDespite(ctx context.Context, refreshHash []byte, accessID string) bool {
	var err error
	if refreshHash != nil {
		_, _, err = s.store.GetRefreshToken(ctx, refreshHash)
	} else {
		_, err = s.store.GetAccessToken(ctx, accessID)
	}
	if err == nil {
		s.log.WarnContext(ctx, "token write reported a failure but was stored; tokens issued",
			"request_id", requestID(ctx))
	}
	return err == nil
}

// newRefreshToken returns a refresh token value and its record for the
// connection's current grant.
func (s *Server) newRefreshToken(conn consentry.Connection, clientID string, scopes []string,
	parentHash []byte, accessID string, now time.Time) (string, consentry.RefreshToken) {
	value := tokens.NewSecret()
	return value, consentry.RefreshToken{
		Hash:          tokens.Hash(value),
		ConnectionID:  conn.ID,
		ClientID:      clientID,
		GrantID:       conn.GrantID,
		Scopes:        scopes,
		ParentHash:    parentHash,
		AccessTokenID: accessID,
		CreatedAt:     now,
		ExpiresAt:     now.Add(s.cfg.RefreshIdleTimeout),
	}
}

func (s *Server) connectionResponse(access, refresh string, scopes []string,
	conn consentry.Connection) TokenResponse {
	return TokenResponse{
		AccessToken:  access,
		TokenType:    "Bearer",
		ExpiresIn:    int64(s.cfg.AccessTokenTTL / time.Second),
		RefreshToken: refresh,
		Scope:        consentry.FormatScope(scopes),
		ConnectionID: conn.ID,
		ProviderID:   conn.ProviderID,
	}
}

// clientCredentials issues a management token to a confidential client
// (RFC 6749 §4.4). Without a scope parameter the client gets all of its
// management scopes; user-data scopes are never granted this way, because no
// end user consented to them.
func (s *Server) clientCredentials(ctx context.Context, client consentry.Client,
	params map[string]string) (TokenResponse, error) {
	if client.Public() {
		return TokenResponse{}, ErrGrantNotAllowed
	}
	var allowed []string
	for _, scope := range client.Scopes {
		if consentry.IsManagementScope(scope) {
			allowed = append(allowed, scope)
		}
	}
	scopes, e := parseScope(params["scope"])
	if e != nil {
		return TokenResponse{}, e
	}
	for _, scope := range scopes {
		switch {
		case consentry.IsUserDataScope(scope):
			return TokenResponse{}, ErrClientScopeUser
		case !consentry.IsManagementScope(scope):
			return TokenResponse{}, ErrScopeUnknown
		case !consentry.ContainsAll(allowed, []string{scope}):
			return TokenResponse{}, ErrScopeNotAllowed
		}
	}
	if len(scopes) == 0 {
		scopes = allowed
	}
	if len(scopes) == 0 {
		return TokenResponse{}, ErrClientScopeNone
	}

	now := s.now()
	jwt, record, err := s.accessToken(ctx, client.ID, "", client.ID, scopes, now)
	if err != nil {
		return TokenResponse{}, err
	}
	jwt, _, err = s.saveAccessToken(ctx, jwt, record, func(r consentry.AccessToken) error {
		return s.store.CreateAccessToken(ctx, r)
	})
	if err != nil {
		return TokenResponse{}, StoreError(err)
	}
	return TokenResponse{
		AccessToken: jwt,
		TokenType:   "Bearer",
		ExpiresIn:   int64(s.cfg.AccessTokenTTL / time.Second),
		Scope:       consentry.FormatScope(scopes),
	}, nil
}
