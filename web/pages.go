package web

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"strings"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static/consentry.css
var stylesheet []byte

// pages holds the parsed page templates.
type pages struct {
	signIn  *template.Template
	consent *template.Template
	error   *template.Template
}

func loadPages() (*pages, error) {
	parse := func(name string) (*template.Template, error) {
		return template.New(name).Funcs(template.FuncMap{"scopeKey": ScopeTextKey}).
			ParseFS(templateFiles, "templates/layout.html", "templates/"+name)
	}
	signIn, err := parse("signin.html")
	if err != nil {
		return nil, err
	}
	consent, err := parse("consent.html")
	if err != nil {
		return nil, err
	}
	errorPage, err := parse("error.html")
	if err != nil {
		return nil, err
	}
	return &pages{signIn: signIn, consent: consent, error: errorPage}, nil
}

// pageData is the data of the page templates.
type pageData struct {
	Lang         string
	T            map[string]string
	RequestID    string
	PendingID    string
	CSRF         string
	Action       string
	ClientName   string
	ProviderName string
	Username     string
	// Problem selects the sign-in failure text: "invalid" or "locked".
	Problem string
	// LockMinutes is how many minutes a sign-in lock still lasts.
	LockMinutes int
	Scopes      []string
	// Message is the catalogue description of an error page.
	Message string
}

// pageNames are the display names a page shows.
type pageNames struct {
	client   string
	provider string
}

func (s *Server) pageNames(r *http.Request, req consentry.AuthRequest) (pageNames, error) {
	client, err := s.store.GetClient(r.Context(), req.ClientID)
	if err != nil {
		return pageNames{}, s.pendingLookupError(r, req, err)
	}
	provider, err := s.store.GetProvider(r.Context(), req.ProviderID)
	if err != nil {
		return pageNames{}, s.pendingLookupError(r, req, err)
	}
	return pageNames{client: client.Name, provider: provider.Name}, nil
}

// pendingLookupError returns the error for a failed lookup of a pending
// request's client or provider. A deleted record gets a page. A storage
// failure finishes the request, so that a retry cannot send a second redirect.
func (s *Server) pendingLookupError(r *http.Request, req consentry.AuthRequest, err error) error {
	if errors.Is(err, consentry.ErrNotFound) {
		return &oauth.AuthorizeError{Err: oauth.ErrPendingUnknown.WithCause(err)}
	}
	return s.oauth.Deny(r.Context(), req, oauth.StoreError(err))
}

// signInView is the content of a sign-in page besides the pending request.
type signInView struct {
	names    pageNames
	username string
	// problem selects the failure text: "", "invalid" or "locked".
	problem     string
	lockMinutes int
}

func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, status int, req consentry.AuthRequest,
	session string, view signInView) {
	data := pageData{
		Lang:         pageLang(req.Locale),
		T:            pageTexts(req.Locale),
		RequestID:    requestID(r),
		PendingID:    req.ID,
		CSRF:         s.csrfToken(req.ID, session, consentry.StageSignIn),
		Action:       signInPath,
		ClientName:   view.names.client,
		ProviderName: view.names.provider,
		Username:     view.username,
		Problem:      view.problem,
		LockMinutes:  view.lockMinutes,
	}
	s.render(w, r, status, s.pages.signIn, data, req.RedirectURI)
}

func (s *Server) renderConsent(w http.ResponseWriter, r *http.Request, req consentry.AuthRequest,
	session string, names pageNames) {
	data := pageData{
		Lang:         pageLang(req.Locale),
		T:            pageTexts(req.Locale),
		RequestID:    requestID(r),
		PendingID:    req.ID,
		CSRF:         s.csrfToken(req.ID, session, consentry.StageConsent),
		Action:       consentPath,
		ClientName:   names.client,
		ProviderName: names.provider,
		Scopes:       req.Scopes,
	}
	s.render(w, r, http.StatusOK, s.pages.consent, data, req.RedirectURI)
}

// renderError shows an error page. The message is the catalogue's English
// description, which integrators also see in error_description.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, e *oauth.Error) {
	locale := acceptLanguage(r.Header.Get("Accept-Language"))
	data := pageData{
		Lang:      pageLang(locale),
		T:         pageTexts(locale),
		RequestID: requestID(r),
		Message:   e.Description,
	}
	status := e.Status
	if status < 400 {
		status = http.StatusBadRequest
	}
	if e.Code == oauth.CodeTemporarilyUnavailable {
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	s.render(w, r, status, s.pages.error, data, "")
}

// render writes a page with headers that keep it out of frames and caches
// and limit where its forms may post. Chromium applies form-action to the
// redirect that follows a form post, so the client's redirect origin is
// listed too.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template,
	data pageData, redirectURI string) {
	var body bytes.Buffer
	if err := t.ExecuteTemplate(&body, "layout", data); err != nil {
		s.log.ErrorContext(r.Context(), "page rendering failed", "request_id", requestID(r), "error", err)
		http.Error(w, "Internal server error. Request id: "+requestID(r), http.StatusInternalServerError)
		return
	}
	formAction := "'none'"
	if redirectURI != "" {
		formAction = "'self' " + originOf(redirectURI)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; "+
		"frame-ancestors 'none'; base-uri 'none'; form-action "+formAction)
	w.WriteHeader(status)
	w.Write(body.Bytes())
}

// originOf returns scheme://host[:port] of a registered redirect URI.
//
// NOTE: the CSP host-source grammar has no form for IPv6 literals. For a
// redirect URI on [::1], browsers probably drop the listed origin and block the
// redirect that follows a form post. A localhost or 127.0.0.1 URI works.
func originOf(uri string) string {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	return scheme + "://" + host
}

func pageLang(locale string) string {
	if locale == "" {
		return oauth.Locales[0]
	}
	return locale
}

func isFormContentType(value string) bool {
	mediaType, _, err := mime.ParseMediaType(value)
	return err == nil && strings.EqualFold(mediaType, "application/x-www-form-urlencoded")
}

func (s *Server) stylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(stylesheet)
}
