// Package web is the HTTP surface of Consentry: it parses requests strictly,
// hands them to package oauth, and writes every response in exactly one place
// (JSON errors, error pages, redirects). It also serves the sign-in and
// consent pages, health checks, metrics and key sets.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/providers/sandbox"
	"github.com/consentry/consentry/tokens"
)

// Config holds the HTTP settings.
type Config struct {
	// Issuer is the base URL of every endpoint.
	Issuer string
	// InvalidClientStatus is the status of invalid_client errors: 400 by
	// default, or 401 as RFC 6749 §5.2 has it.
	InvalidClientStatus int
	// TrustedProxies are the addresses of reverse proxies whose
	// X-Forwarded-For names the client for the per-address sign-in limit.
	TrustedProxies []netip.Prefix
	// RequestTimeout bounds the work of one request; default 15 s.
	RequestTimeout time.Duration
	// Metrics receives the counters; nil disables them.
	Metrics *Metrics
	// Log receives one line per request and every handled failure.
	Log *slog.Logger
}

// Server serves the HTTP API and pages.
type Server struct {
	cfg     Config
	oauth   *oauth.Server
	store   consentry.Store
	keys    *tokens.KeyManager
	sandbox *sandbox.Authenticator
	log     *slog.Logger
	metrics *Metrics
	// csrfKey keys the CSRF tokens of the pages; it is stored so that every
	// replica accepts a form another replica rendered.
	csrfKey []byte
	// secureCookies is false only for a plain-http issuer on a loopback host.
	secureCookies bool
	// formOrigin is the issuer's origin, for the pages' form-action.
	issuerOrigin string
	pages        *pages
}

// CSRFSecretName is the name of the stored secret that keys CSRF tokens.
const CSRFSecretName = "csrf"

// NewServer returns a Server over the protocol rules in o.
func NewServer(ctx context.Context, cfg Config, o *oauth.Server, store consentry.Store,
	keys *tokens.KeyManager, auth *sandbox.Authenticator) (*Server, error) {
	if cfg.InvalidClientStatus == 0 {
		cfg.InvalidClientStatus = http.StatusBadRequest
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 15 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	csrfKey, err := store.EnsureSecret(ctx, CSRFSecretName, []byte(tokens.NewSecret()))
	if err != nil {
		return nil, err
	}
	issuer, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil, err
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:           cfg,
		oauth:         o,
		store:         store,
		keys:          keys,
		sandbox:       auth,
		log:           cfg.Log,
		metrics:       cfg.Metrics,
		csrfKey:       csrfKey,
		secureCookies: !(issuer.Scheme == "http" && consentry.IsLoopbackHost(issuer.Hostname())),
		issuerOrigin:  issuer.Scheme + "://" + issuer.Host,
		pages:         p,
	}, nil
}

// Handler returns the HTTP handler of every endpoint. With withMetrics false,
// /metrics is left out because it is served on a separate admin listener.
func (s *Server) Handler(withMetrics bool) http.Handler {
	mux := http.NewServeMux()
	s.route(mux, "GET /api/v1/authorize", s.authorize)
	s.route(mux, "POST /api/v1/authorize", s.authorize)
	s.route(mux, "POST "+signInPath, s.signIn)
	s.route(mux, "GET "+consentPath, s.consentPage)
	s.route(mux, "POST "+consentPath, s.consent)
	s.route(mux, "POST /api/v1/token", s.token)
	s.route(mux, "DELETE /api/v1/revoke", s.revokeBearer)
	s.route(mux, "POST /api/v1/revoke", s.revoke)
	s.route(mux, "POST /api/v1/introspect", s.introspect)
	s.route(mux, "GET /api/v1/providers", s.providersV1)
	s.route(mux, "GET /api/v2/providers", s.providersV2)
	s.route(mux, "GET /.well-known/oauth-authorization-server", s.metadata)
	s.route(mux, "GET /.well-known/jwks.json", s.jwks)
	s.route(mux, "GET /static/consentry.css", s.stylesheet)
	s.route(mux, "GET /healthz", s.healthz)
	s.route(mux, "GET /readyz", s.readyz)
	if withMetrics && s.metrics != nil {
		s.route(mux, "GET /metrics", s.metrics.Handler().ServeHTTP)
	}
	// Unmatched paths and methods get the mux's own 404 and 405 (with Allow).
	return s.middleware(mux)
}

// route registers h under pattern and records the pattern for logs and
// metrics, so that neither ever records a raw path.
func (s *Server) route(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		requestInfoFrom(r.Context()).Route = pattern
		h(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz reports whether the storage responds within two seconds.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "readiness check failed", "request_id", requestID(r), "error", err)
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
