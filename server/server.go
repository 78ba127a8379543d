package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/providers/sandbox"
	"github.com/consentry/consentry/tokens"
	"github.com/consentry/consentry/web"
)

// Server is an assembled Consentry over one store.
type Server struct {
	cfg     Config
	store   consentry.Store
	log     *slog.Logger
	keys    *tokens.KeyManager
	oauth   *oauth.Server
	web     *web.Server
	metrics *web.Metrics
}

// New assembles a server over a migrated store. It creates the first signing
// key and the stored secrets when the store has none.
func New(ctx context.Context, cfg Config, store consentry.Store, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	oauthCfg := cfg.OAuth
	accessTTL := oauthCfg.AccessTokenTTL
	if accessTTL == 0 {
		accessTTL = 300 * time.Second
	}

	keys := tokens.NewKeyManager(store, cfg.KeyEncryptionKey, tokens.KeyOptions{
		PublishFor: accessTTL + 60*time.Second,
		Now:        cfg.Now,
	})
	if err := keys.Init(ctx); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	metrics := web.NewMetrics()
	o, err := oauth.NewServer(ctx, oauthCfg, store, keys, log, oauth.Hooks{
		TokenIssued:          metrics.TokenIssued,
		RefreshReuseDetected: metrics.RefreshReuseDetected,
	})
	if err != nil {
		return nil, fmt.Errorf("protocol secrets: %w", err)
	}
	if cfg.Now != nil {
		o.Now = cfg.Now
	}
	w, err := web.NewServer(ctx, web.Config{
		Issuer:              cfg.Issuer,
		InvalidClientStatus: cfg.InvalidClientStatus,
		RequestTimeout:      cfg.RequestTimeout,
		TrustedProxies:      cfg.TrustedProxies,
		Metrics:             metrics,
		Log:                 log,
	}, o, store, keys, sandbox.NewAuthenticator(store, cfg.Login))
	if err != nil {
		return nil, fmt.Errorf("web server: %w", err)
	}
	return &Server{cfg: cfg, store: store, log: log, keys: keys, oauth: o, web: w, metrics: metrics}, nil
}

// Handler returns the handler of the main listener; it serves /metrics too
// unless an admin address is configured.
func (s *Server) Handler() http.Handler {
	return s.web.Handler(s.cfg.AdminAddr == "")
}

// OAuth returns the protocol layer, for tests that control its clock.
func (s *Server) OAuth() *oauth.Server {
	return s.oauth
}

// Keys returns the signing-key manager, for tests that rotate or revoke keys.
func (s *Server) Keys() *tokens.KeyManager {
	return s.keys
}

// Issuer returns the issuer in force.
func (s *Server) Issuer() string {
	return s.cfg.Issuer
}

// Run serves until ctx is cancelled, then stops accepting connections,
// lets requests in flight finish within the shutdown timeout, and returns
// nil. ready, when not nil, is called with the bound addresses once the
// listeners accept connections.
func (s *Server) Run(ctx context.Context, ready func(addr, adminAddr string)) error {
	main, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	servers := []*http.Server{s.httpServer(s.Handler())}
	listeners := []net.Listener{main}
	adminAddr := ""
	if s.cfg.AdminAddr != "" {
		admin, err := net.Listen("tcp", s.cfg.AdminAddr)
		if err != nil {
			main.Close()
			return fmt.Errorf("listen on %s: %w", s.cfg.AdminAddr, err)
		}
		servers = append(servers, s.httpServer(s.adminHandler()))
		listeners = append(listeners, admin)
		adminAddr = admin.Addr().String()
	}

	errs := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errs <- srv.Serve(listeners[i]) }()
	}
	gcDone := make(chan struct{})
	gcCtx, stopGC := context.WithCancel(context.Background())
	go func() {
		defer close(gcDone)
		s.maintain(gcCtx)
	}()
	s.log.Info("server started", "addr", main.Addr().String(), "admin_addr", adminAddr,
		"issuer", s.cfg.Issuer, "dev", s.cfg.Dev)
	if ready != nil {
		ready(main.Addr().String(), adminAddr)
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errs:
	}
	s.log.Info("server stopping: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			serveErr = errors.Join(serveErr, fmt.Errorf("shutdown: %w", err))
		}
	}
	stopGC()
	<-gcDone
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	s.log.Info("server stopped")
	return serveErr
}

func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// adminHandler serves the metrics, the health checks and the Go profiling
// endpoints on the admin listener. Profiling stays off the main listener,
// which faces the clients. A CPU profile or trace must be shorter than the
// 30 s write timeout, for example /debug/pprof/profile?seconds=20.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.Handle("GET /healthz", s.Handler())
	mux.Handle("GET /readyz", s.Handler())
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// maintenanceLease is the name of the lease that the replica doing the
// background work holds.
const maintenanceLease = "maintenance"

// maintain runs the background work every GCInterval on the replica that
// holds the maintenance lease: garbage collection and scheduled key rotation.
func (s *Server) maintain(ctx context.Context) {
	holder := tokens.NewID()
	ticker := time.NewTicker(s.cfg.GCInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		// One replica at a time does the work: the lease outlives a few
		// intervals, so its holder keeps it while it runs, and another
		// replica takes over once a holder has stopped.
		now := time.Now()
		held, err := s.store.AcquireLease(ctx, maintenanceLease, holder, now.Add(3*s.cfg.GCInterval), now)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("maintenance lease failed; retrying at the next interval", "error", err)
			}
			continue
		}
		if !held {
			continue
		}
		s.collectGarbage(ctx)
		if s.cfg.KeyRotation > 0 {
			rotated, err := s.keys.RotateIfDue(ctx, s.cfg.KeyRotation)
			switch {
			case err != nil && ctx.Err() == nil:
				s.log.Warn("scheduled key rotation failed; retrying at the next interval", "error", err)
			case rotated:
				s.log.Info("signing key rotated on schedule", "lead", tokens.RotationLead.String())
			}
		}
	}
}

// collectGarbage deletes expired rows in batches, so that no single
// statement holds the database for long.
func (s *Server) collectGarbage(ctx context.Context) {
	const batch = 1000
	for {
		n, err := s.store.DeleteExpired(ctx, time.Now(), s.cfg.GCKeep, batch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("garbage collection failed; retrying at the next interval", "error", err)
			}
			return
		}
		if n > 0 {
			s.log.Debug("expired rows deleted", "rows", n)
		}
		if n < batch {
			return
		}
	}
}
