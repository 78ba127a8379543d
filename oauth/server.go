// Package oauth implements the protocol rules of Consentry over the
// consentry.Store interface: authorization-request validation in a fixed order,
// the approval that records a connection, the three grants of the token
// endpoint with refresh-token rotation and reuse detection, client
// authentication, revocation, and bearer-token checks. It knows nothing of
// HTTP: package web parses requests and writes the responses.
package oauth

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

// Config holds the protocol settings. Zero durations take the defaults named
// on each field.
type Config struct {
	// Issuer is the issuer identifier, sent as iss (RFC 9207).
	Issuer string
	// Audience is the aud claim of access tokens; default Issuer.
	Audience string
	// AccessTokenTTL is the access-token lifetime; default 300 s.
	AccessTokenTTL time.Duration
	// CodeTTL is the authorization-code lifetime; default 60 s.
	CodeTTL time.Duration
	// AuthRequestTTL is how long a pending authorization request waits for
	// sign-in and consent; default 15 min.
	AuthRequestTTL time.Duration
	// RefreshIdleTimeout expires a refresh token left unused; default 30 days.
	RefreshIdleTimeout time.Duration
	// RefreshReuseWindow is how long after its use a refresh token may be
	// presented again without being treated as stolen; default 5 s.
	RefreshReuseWindow time.Duration
	// RefreshGrace lets a client that lost a refresh response retry with the
	// token it used; default 0 (off). A client's own setting overrides it.
	RefreshGrace time.Duration
	// RequirePKCE makes PKCE mandatory for every client.
	RequirePKCE bool
}

func (c *Config) setDefaults() {
	if c.Audience == "" {
		c.Audience = c.Issuer
	}
	setDefault(&c.AccessTokenTTL, 300*time.Second)
	setDefault(&c.CodeTTL, 60*time.Second)
	setDefault(&c.AuthRequestTTL, 15*time.Minute)
	setDefault(&c.RefreshIdleTimeout, 30*24*time.Hour)
	setDefault(&c.RefreshReuseWindow, 5*time.Second)
}

func setDefault(d *time.Duration, value time.Duration) {
	if *d == 0 {
		*d = value
	}
}

// Hooks are called on events that metrics count. Nil fields are skipped.
type Hooks struct {
	TokenIssued          func(grantType string)
	RefreshReuseDetected func()
}

// Server applies the protocol rules.
type Server struct {
	cfg        Config
	store      consentry.Store
	keys       *tokens.KeyManager
	subjectKey []byte
	log        *slog.Logger
	hooks      Hooks
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// SubjectSecretName is the name of the stored secret that keys pairwise
// subjects. It is created once and never rotated, because rotating it would
// change the sub of every existing connection.
const SubjectSecretName = "pairwise-subject"

// NewServer returns a Server. It loads or creates the pairwise-subject secret.
func NewServer(ctx context.Context, cfg Config, store consentry.Store, keys *tokens.KeyManager,
	log *slog.Logger, hooks Hooks) (*Server, error) {
	cfg.setDefaults()
	key, err := store.EnsureSecret(ctx, SubjectSecretName, []byte(tokens.NewSecret()))
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:        cfg,
		store:      store,
		keys:       keys,
		subjectKey: key,
		log:        log,
		hooks:      hooks,
		Now:        time.Now,
	}, nil
}

// Config returns the settings in force, defaults applied.
func (s *Server) Config() Config {
	return s.cfg
}

// now returns the current time truncated to the store's millisecond precision,
// so that a value written and read back compares equal.
func (s *Server) now() time.Time {
	return s.Now().Truncate(time.Millisecond)
}

// StoreError turns a storage failure into the client-facing error:
// temporarily_unavailable when the storage is unreachable, server_error
// otherwise. The cause stays attached for the log.
func StoreError(err error) *Error {
	if errors.Is(err, consentry.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, consentry.ErrKeyRevoked) {
		return ErrUnavailable.WithCause(err)
	}
	return ErrServer.WithCause(err)
}

func (s *Server) tokenIssued(grantType string) {
	if s.hooks.TokenIssued != nil {
		s.hooks.TokenIssued(grantType)
	}
}
