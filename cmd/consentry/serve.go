package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/consentry/consentry/server"
	"github.com/consentry/consentry/tokens"
)

// devDB is the database of `serve --dev` when --db is not given.
const devDB = "sqlite:consentry-dev.db"

// serveOptions holds the flags of the serve command.
type serveOptions struct {
	cfg            server.Config
	trustedProxies []string
	keyFile        string
	noMigrate      bool
	logLevel       string
}

func newServeCommand(g *globalOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the authorization server",
		Long: `Run the authorization server until SIGINT or SIGTERM, then finish the requests
in flight and exit 0. Pending schema migrations are applied at start unless
--no-migrate is given.

The signing keys are stored encrypted with a key-encryption key of 32 bytes
(64 hex digits or base64), read from the file named by --key-file
(CONSENTRY_KEY_FILE) or from the CONSENTRY_KEY environment variable. --dev uses
a publicly known development key instead when neither is set, seeds a demo
bank and client, and prints a ready authorization URL; it is rejected off
loopback addresses, and so is an issuer that is not https.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), g, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	c := &o.cfg
	f.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address, host:port")
	f.StringVar(&c.Issuer, "issuer", "", "issuer URL and base of every endpoint (default http:// plus --addr)")
	f.StringVar(&c.OAuth.Audience, "audience", "", "aud claim of access tokens: the resource server identifier (default the issuer)")
	f.StringVar(&c.AdminAddr, "admin-addr", "",
		"serve /metrics on this host:port instead of --addr, and the Go profiling endpoints under /debug/pprof/")
	f.BoolVar(&c.Dev, "dev", false, "development mode: seed demo data, allow the development key (loopback only)")
	f.BoolVar(&o.noMigrate, "no-migrate", false, "do not apply pending schema migrations at start")
	f.StringVar(&o.keyFile, "key-file", "", "file holding the key-encryption key of the signing keys")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.DurationVar(&c.OAuth.AccessTokenTTL, "access-token-ttl", 300*time.Second, "access-token lifetime")
	f.DurationVar(&c.OAuth.CodeTTL, "code-ttl", 60*time.Second, "authorization-code lifetime")
	f.DurationVar(&c.OAuth.AuthRequestTTL, "auth-request-ttl", 15*time.Minute, "how long sign-in and consent may take")
	f.DurationVar(&c.OAuth.RefreshIdleTimeout, "refresh-idle-timeout", 30*24*time.Hour, "a refresh token unused this long expires")
	f.DurationVar(&c.OAuth.RefreshReuseWindow, "refresh-reuse-window", 5*time.Second,
		"a used refresh token presented again later than this revokes its connection")
	f.DurationVar(&c.OAuth.RefreshGrace, "refresh-grace", 0,
		"how long a client may retry a refresh with the token it just used (0 disables; clients may override)")
	f.BoolVar(&c.OAuth.RequirePKCE, "require-pkce", false, "require PKCE from every client")
	f.IntVar(&c.InvalidClientStatus, "invalid-client-status", 400, "HTTP status of invalid_client errors: 400 or 401")
	f.IntVar(&c.Login.UserFailures, "login-user-failures", 5, "failed sign-ins of one user within --login-window that lock it")
	f.IntVar(&c.Login.AddrFailures, "login-addr-failures", 100, "failed sign-ins from one address within --login-window that lock it")
	f.DurationVar(&c.Login.Window, "login-window", 15*time.Minute, "how far back failed sign-ins are counted")
	f.DurationVar(&c.Login.Lockout, "login-lockout", 15*time.Minute, "how long a locked user or address is rejected")
	f.IntVar(&c.Login.MaxHashing, "max-password-hashes", 0, "password hashes running at once (default twice the CPUs)")
	f.DurationVar(&c.KeyRotation, "key-rotation", 720*time.Hour,
		"age at which a new signing key is created and published ahead of use (negative: never)")
	f.StringSliceVar(&o.trustedProxies, "trusted-proxy", nil,
		"address or CIDR of a reverse proxy whose X-Forwarded-For names the client for the per-address sign-in limit (repeatable)")
	f.DurationVar(&c.RequestTimeout, "request-timeout", 15*time.Second,
		"how long one request may take, storage calls included, before it fails with 503")
	f.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long requests in flight may take after a stop signal")
	return cmd
}

func (o *serveOptions) run(ctx context.Context, g *globalOptions, stdout, stderr io.Writer) error {
	log, err := newLogger(stderr, o.logLevel)
	if err != nil {
		return err
	}
	kek, devKey, err := o.keyEncryptionKey(g.lookupEnv)
	if err != nil {
		return err
	}
	o.cfg.KeyEncryptionKey = kek
	proxies, proxyErr := parsePrefixes(o.trustedProxies)
	o.cfg.TrustedProxies = proxies
	if err := errors.Join(proxyErr, o.cfg.Validate()); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	dsn := g.DB
	if dsn == "" && o.cfg.Dev {
		dsn = devDB
	}
	store, migrate, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer store.Close()
	if !o.noMigrate {
		if err := migrate(ctx); err != nil {
			return fmt.Errorf("apply migrations: %w", err)
		}
	}
	if o.cfg.Dev {
		if devKey {
			log.Warn("development mode: signing keys are encrypted with the public development key; " +
				"never use --dev in production")
		}
		if err := server.SeedDev(ctx, store, time.Now()); err != nil {
			return err
		}
	}
	srv, err := server.New(ctx, o.cfg, store, log)
	if err != nil {
		return err
	}
	return srv.Run(ctx, func(addr, _ string) {
		if o.cfg.Dev {
			fmt.Fprintf(stdout, "Consentry is running in development mode on %s\n", addr)
			fmt.Fprintf(stdout, "Sign in as %s / %s at:\n\n  %s\n\n", server.DevUsername, server.DevPassword,
				server.DevAuthorizeURL(srv.Issuer()))
		}
	})
}

// keyEncryptionKey reads the key-encryption key from --key-file or
// CONSENTRY_KEY. With --dev and neither set it returns the development key
// and true.
func (o *serveOptions) keyEncryptionKey(lookupEnv func(string) (string, bool)) ([]byte, bool, error) {
	kek, err := loadKeyEncryptionKey(o.keyFile, lookupEnv)
	if err != nil || kek != nil || !o.cfg.Dev {
		return kek, false, err
	}
	return tokens.DevKeyEncryptionKey, true, nil
}

// loadKeyEncryptionKey reads the key-encryption key from keyFile, or else
// from CONSENTRY_KEY. It returns nil when neither is set.
func loadKeyEncryptionKey(keyFile string, lookupEnv func(string) (string, bool)) ([]byte, error) {
	text, _ := lookupEnv("CONSENTRY_KEY")
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("read --key-file: %w", err)
		}
		text = string(b)
	}
	if text == "" {
		return nil, nil
	}
	kek, err := tokens.ParseKeyEncryptionKey(text)
	if err != nil {
		return nil, fmt.Errorf("invalid key-encryption key: %w", err)
	}
	return kek, nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, errors.New("invalid --log-level: use debug, info, warn or error")
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// parsePrefixes parses addresses and CIDR prefixes, reporting every invalid
// one.
func parsePrefixes(values []string) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	var errs []error
	for _, v := range values {
		if prefix, err := netip.ParsePrefix(v); err == nil {
			prefixes = append(prefixes, prefix.Masked())
			continue
		}
		addr, err := netip.ParseAddr(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("invalid --trusted-proxy %q: use an IP address or a CIDR such as 10.0.0.0/8", v))
			continue
		}
		addr = addr.Unmap()
		prefixes = append(prefixes, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return prefixes, errors.Join(errs...)
}
