package web

import (
	"net/http"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
)

// metadata serves the authorization server metadata (RFC 8414 §2).
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	issuer := s.cfg.Issuer
	scopes := append(append([]string{}, consentry.UserDataScopes...), consentry.ManagementScopes...)
	// Token, revocation and introspection share one client authentication,
	// so they accept the same methods.
	authMethods := []string{consentry.AuthMethodBasic, consentry.AuthMethodPost, consentry.AuthMethodNone}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         issuer,
		"authorization_endpoint":                         issuer + "/api/v1/authorize",
		"token_endpoint":                                 issuer + "/api/v1/token",
		"revocation_endpoint":                            issuer + "/api/v1/revoke",
		"introspection_endpoint":                         issuer + "/api/v1/introspect",
		"jwks_uri":                                       issuer + "/.well-known/jwks.json",
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{consentry.GrantAuthorizationCode, consentry.GrantRefreshToken, consentry.GrantClientCredentials},
		"token_endpoint_auth_methods_supported":          authMethods,
		"revocation_endpoint_auth_methods_supported":     authMethods,
		"introspection_endpoint_auth_methods_supported":  authMethods,
		"code_challenge_methods_supported":               []string{"S256"},
		"scopes_supported":                               scopes,
		"ui_locales_supported":                           oauth.Locales,
		"authorization_response_iss_parameter_supported": true,
	})
}

// jwks serves the public keys that verify access tokens. Caches may keep the
// set for 300 s, which is why a new key is published at least that long
// before it signs.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	set, err := s.keys.JWKS(r.Context())
	if err != nil {
		s.writeError(w, r, oauth.StoreError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(set)
}
