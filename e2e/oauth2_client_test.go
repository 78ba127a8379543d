package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/consentry/consentry/server"
)

// TestOAuth2ClientFlow drives golang.org/x/oauth2, as an integrator would use
// it, through sign-in and consent by posting the HTML forms, then exchanges
// the code, refreshes, and revokes the connection.
func TestOAuth2ClientFlow(t *testing.T) {
	e := newEnv(t)
	cfg := &oauth2.Config{
		ClientID:     server.DevClientID,
		ClientSecret: server.DevClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:  e.issuer + "/api/v1/authorize",
			TokenURL: e.issuer + "/api/v1/token",
		},
		RedirectURL: server.DevRedirectURIs[0],
		Scopes:      []string{"ACCOUNT_BASIC", "TRANSACTIONS"},
	}
	state := "xyz-state"
	authURL := cfg.AuthCodeURL(state, oauth2.SetAuthURLParam("provider_id", server.DevProviderID))

	b := e.newBrowser()
	signInPage := b.get(authURL)
	if signInPage.resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize: got status %d, want 200", signInPage.resp.StatusCode)
	}
	afterSignIn := b.submit(e.issuer, signInPage, url.Values{"username": {"demo"}, "password": {"demo"}})
	consent := b.get(e.issuer + afterSignIn.resp.Header.Get("Location"))
	done := b.submit(e.issuer, consent, url.Values{"decision": {"approve"}})
	query := redirectQuery(t, done, cfg.RedirectURL)
	if got := query.Get("state"); got != state {
		t.Fatalf("got state %q, want %q", got, state)
	}
	if got := query.Get("iss"); got != e.issuer {
		t.Fatalf("got iss %q, want %q", got, e.issuer)
	}

	ctx := context.Background()
	tok, err := cfg.Exchange(ctx, query.Get("code"))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.TokenType != "Bearer" {
		t.Errorf("got token_type %q, want Bearer", tok.TokenType)
	}
	if tok.RefreshToken == "" {
		t.Fatal("exchange returned no refresh token")
	}
	if got := tok.Extra("connection_id"); got == nil || got == "" {
		t.Error("exchange returned no connection_id")
	}
	if got := tok.Extra("provider_id"); got != server.DevProviderID {
		t.Errorf("got provider_id %v, want %s", got, server.DevProviderID)
	}
	if got := tok.Extra("scope"); got != "ACCOUNT_BASIC TRANSACTIONS" {
		t.Errorf("got scope %v, want ACCOUNT_BASIC TRANSACTIONS", got)
	}

	// An expired token makes the library refresh.
	expired := *tok
	expired.Expiry = e.clock.Now().Add(-1)
	refreshed, err := cfg.TokenSource(ctx, &expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if refreshed.RefreshToken == tok.RefreshToken {
		t.Error("refresh returned the same refresh token; want a rotated one")
	}
	if refreshed.AccessToken == tok.AccessToken {
		t.Error("refresh returned the same access token")
	}

	// The old refresh token stopped working.
	_, err = cfg.TokenSource(ctx, &expired).Token()
	var retrieveErr *oauth2.RetrieveError
	if !asRetrieveError(err, &retrieveErr) || retrieveErr.ErrorCode != "invalid_grant" {
		t.Fatalf("reused refresh token: got %v, want invalid_grant", err)
	}

	// Revoking with the new access token ends the connection.
	r := e.bearer(http.MethodDelete, "/api/v1/revoke", refreshed.AccessToken)
	wantStatus(t, r, http.StatusNoContent)
	stale := *refreshed
	stale.Expiry = e.clock.Now().Add(-1)
	_, err = cfg.TokenSource(ctx, &stale).Token()
	if !asRetrieveError(err, &retrieveErr) || retrieveErr.ErrorCode != "invalid_grant" {
		t.Fatalf("refresh after revoke: got %v, want invalid_grant", err)
	}
	if !strings.Contains(retrieveErr.ErrorDescription, "refresh token") {
		t.Errorf("got error_description %q, want one about the refresh token", retrieveErr.ErrorDescription)
	}
}

func asRetrieveError(err error, target **oauth2.RetrieveError) bool {
	e, ok := err.(*oauth2.RetrieveError)
	if ok {
		*target = e
	}
	return ok
}
