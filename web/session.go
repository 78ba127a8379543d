package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

// sessionCookieMargin is how long a session cookie outlives its pending
// request. The server keeps an expired request for an hour by default, and a
// form posted in that time gets the session_expired redirect only if the
// cookie is still there.
const sessionCookieMargin = time.Hour

// sessionCookieLifetime returns how long a session cookie lives: the lifetime
// of a pending request plus sessionCookieMargin.
func (s *Server) sessionCookieLifetime() time.Duration {
	return s.oauth.Config().AuthRequestTTL + sessionCookieMargin
}

// sessionCookieName returns the name of the browser-session cookie of one
// pending request. Each request has a cookie of its own, so that signing in
// on one tab, which replaces that request's session id, leaves the requests
// of other tabs working. With Secure cookies the __Host- prefix pins the
// cookie to this host and path /, so that a sibling subdomain cannot plant a
// session id.
func (s *Server) sessionCookieName(requestID string) string {
	digest := sha256.Sum256([]byte(requestID))
	name := "consentry_session_" + base64.RawURLEncoding.EncodeToString(digest[:9])
	if s.secureCookies {
		return "__Host-" + name
	}
	return name
}

// session returns the browser-session id of a pending request from its
// cookie, or "".
func (s *Server) session(r *http.Request, requestID string) string {
	if requestID == "" {
		return ""
	}
	cookie, err := r.Cookie(s.sessionCookieName(requestID))
	if err != nil {
		return ""
	}
	return cookie.Value
}

// setSession sets the browser-session cookie of a pending request to id. The
// cookie is HttpOnly so scripts cannot read it, and SameSite=Lax so that
// cross-site form posts arrive without it. It is left to expire after the
// request finishes, so that a replayed form still gets the page stating that
// the request is finished.
func (s *Server) setSession(w http.ResponseWriter, requestID, id string) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.sessionCookieName(requestID),
		Value:    id,
		Path:     "/",
		MaxAge:   int(s.sessionCookieLifetime() / time.Second),
		HttpOnly: true,
		Secure:   s.secureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

// sessionHash returns the digest under which a session id is stored.
func sessionHash(session string) []byte {
	if session == "" {
		return nil
	}
	return tokens.Hash(session)
}

// csrfToken returns the CSRF token of a form: an HMAC over the pending
// request id, the browser session and the stage. It needs no storage, so any
// replica can check a form another rendered, and it changes when sign-in
// replaces the session.
func (s *Server) csrfToken(requestID, session string, stage consentry.AuthStage) string {
	mac := hmac.New(sha256.New, s.csrfKey)
	for _, part := range []string{requestID, session, string(stage)} {
		mac.Write([]byte(part))
		mac.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// validCSRF compares a posted token with the expected one in constant time.
func (s *Server) validCSRF(posted, requestID, session string, stage consentry.AuthStage) bool {
	expected := s.csrfToken(requestID, session, stage)
	return hmac.Equal([]byte(posted), []byte(expected))
}
