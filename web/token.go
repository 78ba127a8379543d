package web

import (
	"errors"
	"net/http"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
)

// authenticate reads the body parameters and authenticates the client of a
// token or revocation request. On failure it has written the error and
// returns ok false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (consentry.Client, map[string]string, bool, bool) {
	params, e := readBodyParams(r)
	if e != nil {
		s.writeError(w, r, e)
		return consentry.Client{}, nil, false, false
	}
	creds, usedBasic, e := clientCredentials(r, params)
	if e != nil {
		s.writeErrorAuth(w, r, e, usedBasic)
		return consentry.Client{}, nil, usedBasic, false
	}
	client, err := s.oauth.AuthenticateClient(r.Context(), creds)
	// Only a registered client_id reaches the log: an unknown value may be a
	// secret that an integrator pasted into the wrong field.
	if err == nil || errors.Is(err, oauth.ErrClientAuth) && !errors.Is(err, oauth.ErrClientNotFound) {
		requestInfoFrom(r.Context()).ClientID = creds.ClientID
	}
	if err != nil {
		s.writeErrorAuth(w, r, err, usedBasic)
		return consentry.Client{}, nil, usedBasic, false
	}
	return client, params, usedBasic, true
}

// token serves the token endpoint (RFC 6749 §3.2).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	client, params, usedBasic, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	resp, err := s.oauth.Token(r.Context(), client, params)
	if err != nil {
		s.writeErrorAuth(w, r, err, usedBasic)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// revoke serves RFC 7009 revocation. Success is 200 with an empty body
// whatever the token was (RFC 7009 §2.2).
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	client, params, usedBasic, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if err := s.oauth.Revoke(r.Context(), client, params["token"], params["token_type_hint"]); err != nil {
		s.writeErrorAuth(w, r, err, usedBasic)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
}

// revokeBearer revokes the connection of the bearer access token, or the
// token alone for a client-credentials token: 204 with no body.
func (s *Server) revokeBearer(w http.ResponseWriter, r *http.Request) {
	token, e := bearerToken(r)
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	if err := s.oauth.RevokeBearer(r.Context(), token); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// requireAdmin verifies the bearer token of a management endpoint and
// returns its client. On failure it has written the error.
func (s *Server) requireAdmin(w http.ResponseWriter, r *http.Request) (consentry.Client, bool) {
	token, e := bearerToken(r)
	if e != nil {
		s.writeError(w, r, e)
		return consentry.Client{}, false
	}
	bearer, err := s.oauth.RequireAdmin(r.Context(), token)
	if err != nil {
		s.writeError(w, r, err)
		return consentry.Client{}, false
	}
	requestInfoFrom(r.Context()).ClientID = bearer.Record.ClientID
	client, err := s.store.GetClient(r.Context(), bearer.Record.ClientID)
	if errors.Is(err, consentry.ErrNotFound) {
		s.writeError(w, r, oauth.ErrBearerInvalid.WithCause(err))
		return consentry.Client{}, false
	}
	if err != nil {
		s.writeError(w, r, oauth.StoreError(err))
		return consentry.Client{}, false
	}
	return client, true
}
