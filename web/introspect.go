package web

import (
	"net/http"
)

// introspect serves RFC 7662 token introspection for an authenticated
// client.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	client, params, usedBasic, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	result, err := s.oauth.Introspect(r.Context(), client, params["token"])
	if err != nil {
		s.writeErrorAuth(w, r, err, usedBasic)
		return
	}
	writeJSON(w, http.StatusOK, result)
}
