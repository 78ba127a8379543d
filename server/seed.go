package server

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/providers/sandbox"
	"github.com/consentry/consentry/tokens"
)

// The development seed: a sandbox bank with one user and one confidential
// client. The credentials are public, which is why --dev is rejected off
// loopback addresses.
const (
	DevProviderID   = "1000"
	DevUsername     = "demo"
	DevPassword     = "demo"
	DevClientID     = "demo-recipient"
	DevClientSecret = "demo-secret"
)

// DevRedirectURIs are the redirect URIs of the development client.
var DevRedirectURIs = []string{"http://127.0.0.1:8081/callback", "http://localhost:8081/callback"}

// SeedDev creates whichever part of the development seed is missing and
// leaves existing records as they are.
func SeedDev(ctx context.Context, store consentry.Store, now time.Time) error {
	provider := consentry.Provider{
		ID:        DevProviderID,
		Name:      "Sandbox Bank",
		Country:   "CA",
		Kind:      consentry.ProviderSandbox,
		Scopes:    consentry.UserDataScopes,
		CreatedAt: now,
	}
	if err := ignoreConflict(store.CreateProvider(ctx, provider)); err != nil {
		return fmt.Errorf("seed provider: %w", err)
	}

	hash, err := sandbox.HashPassword(DevPassword)
	if err != nil {
		return fmt.Errorf("seed user: %w", err)
	}
	user := consentry.SandboxUser{ProviderID: DevProviderID, Username: DevUsername, PasswordHash: hash, CreatedAt: now}
	if err := ignoreConflict(store.CreateSandboxUser(ctx, user)); err != nil {
		return fmt.Errorf("seed user: %w", err)
	}

	client := consentry.Client{
		ID:           DevClientID,
		Name:         "Demo Recipient",
		SecretHash:   tokens.Hash(DevClientSecret),
		AuthMethods:  []string{consentry.AuthMethodBasic, consentry.AuthMethodPost},
		RedirectURIs: DevRedirectURIs,
		GrantTypes: []string{consentry.GrantAuthorizationCode, consentry.GrantRefreshToken,
			consentry.GrantClientCredentials},
		Scopes:    append(append([]string{}, consentry.UserDataScopes...), consentry.ScopeClientAdmin),
		Providers: []string{DevProviderID},
		CreatedAt: now,
	}
	if err := ignoreConflict(store.CreateClient(ctx, client)); err != nil {
		return fmt.Errorf("seed client: %w", err)
	}
	return nil
}

func ignoreConflict(err error) error {
	if errors.Is(err, consentry.ErrConflict) {
		return nil
	}
	return err
}

// DevAuthorizeURL returns a ready authorization URL for the development
// client, with a fresh state.
func DevAuthorizeURL(issuer string) string {
	params := url.Values{
		"response_type": {"code"},
		"client_id":     {DevClientID},
		"redirect_uri":  {DevRedirectURIs[0]},
		"scope":         {"ACCOUNT_BASIC TRANSACTIONS"},
		"state":         {tokens.NewID()},
		"provider_id":   {DevProviderID},
	}
	return issuer + "/api/v1/authorize?" + params.Encode()
}
