package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/url"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

// Errors of the sign-in and consent pages that cannot go to the client: the
// browser that sent them is not the one the pending request is bound to, or
// the request is gone.
var (
	ErrPendingUnknown = newError(CodeInvalidRequest, "This authorization request is unknown or already finished; start again from the application.")
	ErrPendingSession = newError(CodeInvalidRequest, "This authorization request belongs to another browser session; start again from the application.")
	ErrPendingStep    = newError(CodeInvalidRequest, "This step of the authorization request is not expected now; start again from the application.")
	ErrCSRF           = newError(CodeInvalidRequest, "The form has expired or was not sent by this page; start again from the application.")
	ErrDecision       = newError(CodeInvalidRequest, "The consent form was not sent by this page; start again from the application.")
)

// StartAuthorization stores a validated request bound to the browser session
// whose cookie digest is sessionHash, under a new single-use id.
func (s *Server) StartAuthorization(ctx context.Context, req *consentry.AuthRequest, sessionHash []byte) error {
	req.ID = tokens.NewSecret()
	req.SessionHash = sessionHash
	if err := s.store.CreateAuthRequest(ctx, *req); err != nil {
		return &AuthorizeError{Err: StoreError(err), RedirectURI: req.RedirectURI, State: req.State}
	}
	return nil
}

// Pending loads the pending request id for a page of the given stage. The
// request must be bound to the browser session whose cookie digest is
// sessionHash. An expired request is finished and redirected with
// access_denied and session_expired, once. Every other failure is shown on a
// page, because the browser cannot be trusted to receive the client's
// redirect.
func (s *Server) Pending(ctx context.Context, id string, sessionHash []byte,
	stage consentry.AuthStage) (consentry.AuthRequest, error) {
	page := func(e *Error) error { return &AuthorizeError{Err: e} }
	if id == "" {
		return consentry.AuthRequest{}, page(ErrPendingUnknown)
	}
	req, err := s.store.GetAuthRequest(ctx, id)
	if errors.Is(err, consentry.ErrNotFound) {
		return consentry.AuthRequest{}, page(ErrPendingUnknown)
	}
	if err != nil {
		return consentry.AuthRequest{}, page(StoreError(err))
	}
	if len(sessionHash) == 0 || subtle.ConstantTimeCompare(req.SessionHash, sessionHash) != 1 {
		return consentry.AuthRequest{}, page(ErrPendingSession)
	}
	if req.Stage == consentry.StageDone {
		return consentry.AuthRequest{}, page(ErrPendingUnknown)
	}
	if !s.now().Before(req.ExpiresAt) {
		return consentry.AuthRequest{}, s.Deny(ctx, req, ErrSessionExpired)
	}
	if req.Stage != stage {
		return consentry.AuthRequest{}, page(ErrPendingStep)
	}
	return req, nil
}

// CompleteSignIn records the signed-in user and rebinds the request to the
// new session, so that a session id fixed before sign-in is worthless after it.
func (s *Server) CompleteSignIn(ctx context.Context, req consentry.AuthRequest, userID string,
	newSessionHash []byte) error {
	err := s.store.CompleteSignIn(ctx, req.ID, req.SessionHash, userID, newSessionHash, s.now())
	if errors.Is(err, consentry.ErrConflict) {
		return &AuthorizeError{Err: ErrPendingUnknown.WithCause(err)}
	}
	if err != nil {
		return s.Deny(ctx, req, StoreError(err))
	}
	return nil
}

// Deny finishes the request and returns the *AuthorizeError that sends e to
// the client. When the request was finished meanwhile (a second tab, a
// replayed form), the error is shown on a page instead, so that one pending
// request yields at most one redirect. Storage failures after the request was
// loaded go through Deny too, so that a retry cannot send a second redirect.
// Only when the storage cannot finish the request either does it stay pending.
func (s *Server) Deny(ctx context.Context, req consentry.AuthRequest, e *Error) error {
	err := s.store.FinishAuthRequest(ctx, req.ID, req.SessionHash, req.Stage)
	if errors.Is(err, consentry.ErrConflict) {
		return &AuthorizeError{Err: ErrPendingUnknown.WithCause(err)}
	}
	if err != nil {
		return &AuthorizeError{Err: StoreError(err), RedirectURI: req.RedirectURI, State: req.State}
	}
	return &AuthorizeError{Err: e, RedirectURI: req.RedirectURI, State: req.State}
}

// Approve records the end user's consent: it creates or updates the
// connection, makes the earlier grant's refresh tokens unusable, and returns
// the redirect that carries a new authorization code.
func (s *Server) Approve(ctx context.Context, req consentry.AuthRequest) (string, error) {
	now := s.now()
	code := tokens.NewSecret()
	grantID := tokens.NewID()
	approval := consentry.Approval{
		AuthRequestID: req.ID,
		SessionHash:   req.SessionHash,
		Now:           now,
		Connection: consentry.Connection{
			ID:         tokens.NewID(),
			ClientID:   req.ClientID,
			ProviderID: req.ProviderID,
			UserID:     req.UserID,
			Subject:    tokens.PairwiseSubject(s.subjectKey, req.ProviderID, req.UserID, req.ClientID),
			Scopes:     req.Scopes,
			GrantID:    grantID,
			CreatedAt:  now,
			UpdatedAt:  now,
		},
		Code: consentry.AuthCode{
			Hash:                tokens.Hash(code),
			ClientID:            req.ClientID,
			RedirectURI:         req.RedirectURI,
			GrantID:             grantID,
			Scopes:              req.Scopes,
			CodeChallenge:       req.CodeChallenge,
			CodeChallengeMethod: req.CodeChallengeMethod,
			CorrelationID:       req.CorrelationID,
			CreatedAt:           now,
			ExpiresAt:           now.Add(s.cfg.CodeTTL),
		},
	}
	_, err := s.store.ApproveAuthRequest(ctx, approval)
	if errors.Is(err, consentry.ErrConflict) {
		return "", &AuthorizeError{Err: ErrPendingUnknown.WithCause(err)}
	}
	if err != nil {
		return "", s.Deny(ctx, req, StoreError(err))
	}
	return s.redirectURL(req.RedirectURI, url.Values{"code": {code}, "state": {req.State}}), nil
}

// ErrorRedirectURL returns the URL that carries e to the client's redirect
// URI, with error_reason for access_denied, the state when there is one, and
// iss (RFC 9207).
func (s *Server) ErrorRedirectURL(e *AuthorizeError) string {
	params := url.Values{
		"error":             {e.Err.Code},
		"error_description": {e.Err.Description},
	}
	if e.Err.Reason != "" {
		params.Set("error_reason", e.Err.Reason)
	}
	if e.State != "" {
		params.Set("state", e.State)
	}
	return s.redirectURL(e.RedirectURI, params)
}

// redirectURL appends params and iss to a registered redirect URI, keeping
// its own query as it was registered (RFC 6749 §3.1.2).
func (s *Server) redirectURL(redirectURI string, params url.Values) string {
	params.Set("iss", s.cfg.Issuer)
	separator := "?"
	if u, err := url.Parse(redirectURI); err == nil && u.RawQuery != "" {
		separator = "&"
	} else if err == nil && u.ForceQuery {
		separator = ""
	}
	return redirectURI + separator + params.Encode()
}
