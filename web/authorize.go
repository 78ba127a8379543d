package web

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/providers/sandbox"
	"github.com/consentry/consentry/tokens"
)

// Paths of the pages. They are fixed and take no return URL: where the
// browser goes next comes from the pending request stored on the server.
const (
	signInPath  = "/api/v1/authorize/signin"
	consentPath = "/api/v1/authorize/consent"
)

// authorize starts an authorization (RFC 6749 §4.1.1): it validates the
// request, stores it bound to the browser session, and shows the sign-in page.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	params, e := authorizeParams(r)
	if e != nil {
		s.authorizeError(w, r, &oauth.AuthorizeError{Err: e})
		return
	}
	info := requestInfoFrom(r.Context())
	if id := oauth.CorrelationID(params.Get("correlation_id")); id != "" {
		info.CorrelationID = id
	}

	valid, err := s.oauth.ValidateAuthorize(r.Context(), params)
	// Only a registered client_id reaches the log: an unknown value may be
	// anything an integrator pasted into the wrong field, a secret included.
	if err == nil || clientFound(err) {
		info.ClientID = params.Get("client_id")
	}
	if err != nil {
		s.authorizeError(w, r, err)
		return
	}
	req := valid.Request
	if req.Locale == "" {
		req.Locale = acceptLanguage(r.Header.Get("Accept-Language"))
	}
	if valid.Provider.Kind != consentry.ProviderSandbox {
		// NOTE: only sandbox providers can sign users in so far; an upstream
		// bank is reported as suspended rather than half-supported.
		s.authorizeError(w, r, &oauth.AuthorizeError{Err: oauth.ErrProviderSuspended,
			RedirectURI: req.RedirectURI, State: req.State})
		return
	}

	session := tokens.NewSecret()
	if err := s.oauth.StartAuthorization(r.Context(), &req, sessionHash(session)); err != nil {
		s.authorizeError(w, r, err)
		return
	}
	s.setSession(w, req.ID, session)
	names := pageNames{client: valid.Client.Name, provider: valid.Provider.Name}
	s.renderSignIn(w, r, http.StatusOK, req, session, signInView{names: names})
}

// clientFound reports whether an authorization error came after the
// client_id was looked up and found, at the redirect_uri check or later.
func clientFound(err error) bool {
	var ae *oauth.AuthorizeError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.RedirectURI != "" || errors.Is(ae.Err, oauth.ErrRedirectURIMissing) ||
		errors.Is(ae.Err, oauth.ErrRedirectURIUnknown)
}

// authorizeParams returns the parameters of an authorization request: the
// query, plus the form body of a POST. A parameter in both counts as
// repeated.
func authorizeParams(r *http.Request) (url.Values, *oauth.Error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, oauth.ErrQueryInvalid.WithCause(err)
	}
	if r.Method != http.MethodPost {
		return params, nil
	}
	form, e := readForm(r)
	if e != nil {
		return nil, e
	}
	for name, values := range form {
		params[name] = append(params[name], values...)
	}
	return params, nil
}

// readForm reads an application/x-www-form-urlencoded body of at most
// maxBodyBytes.
func readForm(r *http.Request) (url.Values, *oauth.Error) {
	if !isFormContentType(r.Header.Get("Content-Type")) {
		return nil, oauth.ErrContentType
	}
	body, e := readBody(r)
	if e != nil {
		return nil, e
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, oauth.ErrBodyInvalid.WithCause(err)
	}
	return form, nil
}

// authorizeError responds to a failed authorization step: an error page while
// the redirect URI is unverified or the browser untrusted, a redirect to the
// client otherwise.
func (s *Server) authorizeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *oauth.AuthorizeError
	if !errors.As(err, &ae) {
		ae = &oauth.AuthorizeError{Err: oauth.AsError(err)}
	}
	s.logError(r, ae.Err)
	if ae.RedirectURI == "" {
		s.renderError(w, r, ae.Err)
		return
	}
	if ae.Err.Code == oauth.CodeTemporarilyUnavailable {
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, s.oauth.ErrorRedirectURL(ae), http.StatusFound)
}

// postedForm reads a page's form with each field at most once. A repeated
// field means the form was tampered with.
func postedForm(r *http.Request) (map[string]string, *oauth.Error) {
	form, e := readForm(r)
	if e != nil {
		return nil, e
	}
	fields := make(map[string]string, len(form))
	for name, values := range form {
		if len(values) != 1 {
			return nil, oauth.ErrParamRepeated
		}
		fields[name] = values[0]
	}
	return fields, nil
}

// signIn checks the sandbox sign-in form. The CSRF token and the pending
// request are checked before the password is hashed, so a forged or stale
// form costs no hashing.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	form, e := postedForm(r)
	if e != nil {
		s.authorizeError(w, r, e)
		return
	}
	session := s.session(r, form["request"])
	req, err := s.oauth.Pending(r.Context(), form["request"], sessionHash(session), consentry.StageSignIn)
	if err != nil {
		s.authorizeError(w, r, err)
		return
	}
	s.notePending(r, req)
	if !s.validCSRF(form["csrf_token"], req.ID, session, consentry.StageSignIn) {
		s.authorizeError(w, r, &oauth.AuthorizeError{Err: oauth.ErrCSRF})
		return
	}
	if _, cancelled := form["cancel"]; cancelled {
		s.authorizeError(w, r, s.oauth.Deny(r.Context(), req, oauth.ErrSignInCancelled))
		return
	}

	userID, err := s.sandbox.SignIn(r.Context(), req.ProviderID, form["username"], form["password"],
		s.clientAddr(r), s.oauth.Now())
	if err != nil {
		s.signInFailed(w, r, req, session, form["username"], err)
		return
	}
	// The new cookie is set only once the request is bound to it: a sign-in
	// that loses a race with a second submit of the same form must not
	// replace the session that the winner's consent page needs.
	newSession := tokens.NewSecret()
	if err := s.oauth.CompleteSignIn(r.Context(), req, userID, sessionHash(newSession)); err != nil {
		s.authorizeError(w, r, err)
		return
	}
	s.setSession(w, req.ID, newSession)
	http.Redirect(w, r, consentPath+"?request="+url.QueryEscape(req.ID), http.StatusSeeOther)
}

// signInFailed responds to a rejected sign-in: the same page and text for an
// unknown user and a wrong password, 429 while a lock is in force, and
// temporarily_unavailable to the client when no hashing slot is free.
func (s *Server) signInFailed(w http.ResponseWriter, r *http.Request, req consentry.AuthRequest,
	session, username string, err error) {
	var locked *sandbox.LockedError
	isLocked := errors.As(err, &locked)
	switch {
	case errors.Is(err, sandbox.ErrBusy):
		s.authorizeError(w, r, s.oauth.Deny(r.Context(), req, oauth.ErrSignInBusy))
		return
	case !isLocked && !errors.Is(err, sandbox.ErrInvalidCredentials):
		s.authorizeError(w, r, s.oauth.Deny(r.Context(), req, oauth.StoreError(err)))
		return
	}
	names, lookupErr := s.pageNames(r, req)
	if lookupErr != nil {
		s.authorizeError(w, r, lookupErr)
		return
	}
	if isLocked {
		s.log.InfoContext(r.Context(), "sign-in rejected: locked", "request_id", requestID(r),
			"client_id", req.ClientID, "provider_id", req.ProviderID)
		// Both values round up, so that a lock ending in 30 seconds reads as
		// 1 minute rather than 0; RFC 6585 §4 allows Retry-After on a 429.
		left := locked.Until.Sub(s.oauth.Now())
		w.Header().Set("Retry-After", strconv.Itoa(int((left+time.Second-1)/time.Second)))
		s.renderSignIn(w, r, http.StatusTooManyRequests, req, session, signInView{names: names,
			username: username, problem: "locked", lockMinutes: int((left + time.Minute - 1) / time.Minute)})
		return
	}
	s.log.InfoContext(r.Context(), "sign-in failed", "request_id", requestID(r),
		"client_id", req.ClientID, "provider_id", req.ProviderID)
	s.renderSignIn(w, r, http.StatusUnauthorized, req, session, signInView{names: names,
		username: username, problem: "invalid"})
}

// consentPage shows the consent page of a signed-in pending request.
func (s *Server) consentPage(w http.ResponseWriter, r *http.Request) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || len(query["request"]) != 1 {
		s.authorizeError(w, r, &oauth.AuthorizeError{Err: oauth.ErrPendingUnknown})
		return
	}
	session := s.session(r, query.Get("request"))
	req, err := s.oauth.Pending(r.Context(), query.Get("request"), sessionHash(session), consentry.StageConsent)
	if err != nil {
		s.authorizeError(w, r, err)
		return
	}
	s.notePending(r, req)
	names, err := s.pageNames(r, req)
	if err != nil {
		s.authorizeError(w, r, err)
		return
	}
	s.renderConsent(w, r, req, session, names)
}

// consent records the end user's decision. The client, the scopes and the
// redirect URI come from the pending request, never from the form.
func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	form, e := postedForm(r)
	if e != nil {
		s.authorizeError(w, r, e)
		return
	}
	session := s.session(r, form["request"])
	req, err := s.oauth.Pending(r.Context(), form["request"], sessionHash(session), consentry.StageConsent)
	if err != nil {
		s.authorizeError(w, r, err)
		return
	}
	s.notePending(r, req)
	if !s.validCSRF(form["csrf_token"], req.ID, session, consentry.StageConsent) {
		s.authorizeError(w, r, &oauth.AuthorizeError{Err: oauth.ErrCSRF})
		return
	}
	switch form["decision"] {
	case "approve":
		location, err := s.oauth.Approve(r.Context(), req)
		if err != nil {
			s.authorizeError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, location, http.StatusFound)
	case "deny":
		s.authorizeError(w, r, s.oauth.Deny(r.Context(), req, oauth.ErrUserDenied))
	default:
		s.authorizeError(w, r, &oauth.AuthorizeError{Err: oauth.ErrDecision})
	}
}

// notePending adds the pending request's ids to the request log line.
func (s *Server) notePending(r *http.Request, req consentry.AuthRequest) {
	info := requestInfoFrom(r.Context())
	info.ClientID = req.ClientID
	if req.CorrelationID != "" {
		info.CorrelationID = req.CorrelationID
	}
}

// clientAddr returns the address that the per-address sign-in limit counts:
// the IPv4 address of the client, or the /64 prefix of its IPv6 address. A
// single host often controls a whole /64 and picks any address in it, so
// counting each address apart would let it try passwords from 2^64
// addresses. The client is the connection's remote end or, when that is a
// trusted proxy, the nearest untrusted address in X-Forwarded-For. Without
// that, every user behind a load balancer would share its address, and 100
// failed sign-ins by one attacker would lock them all out.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = s.forwardedFor(r, addr.Unmap().WithZone(""))
	if addr.Is4() {
		return addr.String()
	}
	prefix, err := addr.Prefix(64)
	if err != nil {
		return addr.String()
	}
	return prefix.String()
}

// forwardedFor walks X-Forwarded-For from the right, past the trusted
// proxies, and returns the first address a trusted proxy reported. Entries
// further left were written by the client and prove nothing. It returns peer
// when peer is not a trusted proxy or no usable entry exists.
func (s *Server) forwardedFor(r *http.Request, peer netip.Addr) netip.Addr {
	if !s.trustedProxy(peer) {
		return peer
	}
	var hops []string
	for _, header := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(header, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		hop = hop.Unmap().WithZone("")
		if !s.trustedProxy(hop) {
			return hop
		}
		peer = hop
	}
	return peer
}

func (s *Server) trustedProxy(addr netip.Addr) bool {
	for _, prefix := range s.cfg.TrustedProxies {
		if prefix.Contains(addr) {
			return true
		}
	}
	return false
}
