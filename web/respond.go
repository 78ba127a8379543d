package web

import (
	"encoding/json"
	"net/http"

	"github.com/consentry/consentry/oauth"
)

// retryAfterSeconds is the Retry-After of temporarily_unavailable responses.
const retryAfterSeconds = "5"

// writeJSON writes v with the caching headers every API response carries:
// responses may hold tokens, so no cache may keep them (RFC 6749 §5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// errorBody is the JSON error of RFC 6749 §5.2.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// writeError writes err as a JSON OAuth error and logs it. This is the only
// place that turns an error into a JSON response.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeErrorAuth(w, r, err, false)
}

// writeErrorAuth is writeError for endpoints with client authentication:
// usedBasic adds the Basic challenge that RFC 6749 §5.2 requires on
// invalid_client.
func (s *Server) writeErrorAuth(w http.ResponseWriter, r *http.Request, err error, usedBasic bool) {
	e := oauth.AsError(err)
	s.logError(r, e)
	status := e.Status
	switch e.Code {
	case oauth.CodeInvalidClient:
		status = s.cfg.InvalidClientStatus
		if usedBasic {
			w.Header().Set("WWW-Authenticate", `Basic realm="consentry"`)
		}
	case oauth.CodeInvalidToken:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	case oauth.CodeInsufficientScope:
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="client:admin"`)
	case oauth.CodeTemporarilyUnavailable:
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	writeJSON(w, status, errorBody{Error: e.Code, Description: e.Description})
}

// logError logs a failure returned to a client: server errors with their
// cause at error level, client mistakes at info level. The cause never
// reaches the client.
func (s *Server) logError(r *http.Request, e *oauth.Error) {
	if s.metrics != nil {
		s.metrics.oauthErrors.WithLabelValues(e.Code).Inc()
	}
	info := requestInfoFrom(r.Context())
	attrs := []any{"request_id", info.ID, "route", info.Route, "error", e.Code}
	if info.ClientID != "" {
		attrs = append(attrs, "client_id", info.ClientID)
	}
	if info.CorrelationID != "" {
		attrs = append(attrs, "correlation_id", info.CorrelationID)
	}
	if e.Cause != nil {
		attrs = append(attrs, "cause", e.Cause.Error())
	}
	switch e.Code {
	case oauth.CodeServerError:
		s.log.ErrorContext(r.Context(), "request failed", attrs...)
	case oauth.CodeTemporarilyUnavailable:
		s.log.WarnContext(r.Context(), "request failed", attrs...)
	default:
		s.log.InfoContext(r.Context(), "request rejected", attrs...)
	}
}
