package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/server"
)

// providerListing is one entry of a providers response.
type providerListing struct {
	ProviderID string   `json:"provider_id"`
	Name       string   `json:"name"`
	Country    string   `json:"country"`
	Scopes     []string `json:"scopes"`
	Status     string   `json:"status"`
}

// listProviders fetches a providers endpoint with a bearer token and decodes
// the JSON array it must return.
func (e *env) listProviders(pathAndQuery, token string) []providerListing {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.issuer+pathAndQuery, nil)
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("GET %s: %v", pathAndQuery, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: got status %d, want 200; body %s", pathAndQuery, resp.StatusCode, raw)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		e.t.Errorf("got Content-Type %q, want application/json", got)
	}
	var list []providerListing
	if err := json.Unmarshal(raw, &list); err != nil {
		e.t.Fatalf("decode providers %s: %v", raw, err)
	}
	return list
}

// wantProvidersOK checks that a token is accepted by the v1 endpoint.
func (e *env) wantProvidersOK(token string) {
	e.t.Helper()
	e.listProviders("/api/v1/providers", token)
}

// addProviders stores a US provider and a disabled Canadian provider, and a
// client registered with the development provider and the disabled one,
// so that every registration status appears. It returns a
// client-credentials token of that client.
func addProviders(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	for _, p := range []consentry.Provider{
		{ID: "2000", Name: "Liberty Bank", Country: "US", Kind: consentry.ProviderSandbox,
			Scopes: []string{consentry.ScopeAccountBasic}},
		{ID: "3000", Name: "Frozen Bank", Country: "CA", Kind: consentry.ProviderSandbox,
			Scopes: []string{consentry.ScopeAccountBasic, consentry.ScopeTransactions}, Disabled: true},
	} {
		p.CreatedAt = e.clock.Now()
		if err := e.store.CreateProvider(ctx, p); err != nil {
			t.Fatalf("create provider %s: %v", p.ID, err)
		}
	}
	id := "multi-bank"
	secret := e.createClient(consentry.Client{ID: id,
		GrantTypes: []string{consentry.GrantClientCredentials},
		Scopes:     []string{consentry.ScopeClientAdmin},
		Providers:  []string{server.DevProviderID, "3000"}})
	r := e.post(tokenPath, url.Values{"grant_type": {"client_credentials"}}, id, secret)
	wantStatus(t, r, http.StatusOK)
	return str(r.body["access_token"])
}

// providerStatuses returns "id:status" for each entry, in response order.
func providerStatuses(list []providerListing) []string {
	out := []string{}
	for _, p := range list {
		out = append(out, p.ProviderID+":"+p.Status)
	}
	return out
}

func TestProvidersV1(t *testing.T) {
	e := newEnv(t)
	multiBank := addProviders(t, e)
	list := e.listProviders("/api/v1/providers", e.clientToken())
	want := providerListing{ProviderID: server.DevProviderID, Name: "Sandbox Bank", Country: "CA",
		Scopes: consentry.UserDataScopes, Status: "Activated"}
	if len(list) != 1 {
		t.Fatalf("got %d providers %+v, want 1", len(list), list)
	}
	got := list[0]
	if got.ProviderID != want.ProviderID || got.Name != want.Name || got.Country != want.Country ||
		!slices.Equal(got.Scopes, want.Scopes) || got.Status != want.Status {
		t.Errorf("got %+v, want %+v", got, want)
	}

	// A registered provider that is disabled is listed as Suspended.
	statuses := providerStatuses(e.listProviders("/api/v1/providers", multiBank))
	if want := []string{"1000:Activated", "3000:Suspended"}; !slices.Equal(statuses, want) {
		t.Errorf("got %q, want %q", statuses, want)
	}
}

func TestProvidersV2Filters(t *testing.T) {
	e := newEnv(t)
	multiBank := addProviders(t, e)
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"no filter", "", []string{"1000:Activated", "2000:Available", "3000:Suspended"}},
		{"country CA", "country=CA", []string{"1000:Activated", "3000:Suspended"}},
		{"country US", "country=US", []string{"2000:Available"}},
		{"country CA,US", "country=CA,US", []string{"1000:Activated", "2000:Available", "3000:Suspended"}},
		{"country US,CA", "country=US,CA", []string{"1000:Activated", "2000:Available", "3000:Suspended"}},
		{"enabled", "isEnabledForClient=true", []string{"1000:Activated"}},
		{"not enabled", "isEnabledForClient=false", []string{"2000:Available", "3000:Suspended"}},
		{"CA not enabled", "country=CA&isEnabledForClient=false", []string{"3000:Suspended"}},
		{"US enabled", "country=US&isEnabledForClient=true", []string{}},
		{"unknown parameter ignored", "page=2", []string{"1000:Activated", "2000:Available", "3000:Suspended"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/api/v2/providers"
			if tt.query != "" {
				path += "?" + tt.query
			}
			got := providerStatuses(e.listProviders(path, multiBank))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProvidersV2Entries(t *testing.T) {
	e := newEnv(t)
	addProviders(t, e)
	list := e.listProviders("/api/v2/providers?country=US", e.clientToken())
	want := providerListing{ProviderID: "2000", Name: "Liberty Bank", Country: "US",
		Scopes: []string{consentry.ScopeAccountBasic}, Status: "Available"}
	if len(list) != 1 {
		t.Fatalf("got %d providers %+v, want 1", len(list), list)
	}
	got := list[0]
	if got.ProviderID != want.ProviderID || got.Name != want.Name || got.Country != want.Country ||
		!slices.Equal(got.Scopes, want.Scopes) || got.Status != want.Status {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// A disabled provider is Suspended for a client not registered with it too.
	got2 := providerStatuses(e.listProviders("/api/v2/providers?country=CA", e.clientToken()))
	if want := []string{"1000:Activated", "3000:Suspended"}; !slices.Equal(got2, want) {
		t.Errorf("got %q, want %q", got2, want)
	}
}

func TestProvidersV2InvalidFilter(t *testing.T) {
	e := newEnv(t)
	token := e.clientToken()
	for _, query := range []string{
		"country=ca", "country=FR", "country=", "country=CA,", "country=CA,%20US", "country=CA,FR",
		"country=CA&country=US", "isEnabledForClient=yes", "isEnabledForClient=TRUE",
		"isEnabledForClient=1", "isEnabledForClient=", "isEnabledForClient=true&isEnabledForClient=true",
	} {
		t.Run(query, func(t *testing.T) {
			r := e.bearer(http.MethodGet, "/api/v2/providers?"+query, token)
			wantOAuthError(t, r, http.StatusBadRequest, "invalid_request")
		})
	}
}

// TestProvidersTokenRules checks that only a live client-credentials token
// is accepted, on both versions.
func TestProvidersTokenRules(t *testing.T) {
	e := newEnv(t)
	user := str(e.userTokens().body["access_token"])
	revokedCC := e.clientToken()
	wantStatus(t, e.bearer(http.MethodDelete, revokePath, revokedCC), http.StatusNoContent)
	// The revoked user token belongs to another client's connection, because
	// a new sign-in for the same client reuses the connection.
	id, secret := e.secondClient()
	revokedUser := str(e.tokensOf(id, secret).body["access_token"])
	wantStatus(t, e.bearer(http.MethodDelete, revokePath, revokedUser), http.StatusNoContent)

	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantError  string
		challenge  string
	}{
		{"user token", user, 403, "insufficient_scope",
			`Bearer error="insufficient_scope", scope="client:admin"`},
		{"revoked client token", revokedCC, 401, "invalid_token", `Bearer error="invalid_token"`},
		{"revoked user token", revokedUser, 401, "invalid_token", `Bearer error="invalid_token"`},
		{"garbage", "not-a-token", 401, "invalid_token", `Bearer error="invalid_token"`},
		{"forged", forgeries(t, user)["foreign key same kid"], 401, "invalid_token",
			`Bearer error="invalid_token"`},
		{"no header", "", 400, "invalid_request", ""},
	}
	for _, path := range []string{"/api/v1/providers", "/api/v2/providers"} {
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				r := e.bearer(http.MethodGet, path, tt.token)
				wantOAuthError(t, r, tt.wantStatus, tt.wantError)
				if got := r.resp.Header.Get("WWW-Authenticate"); tt.challenge != "" && got != tt.challenge {
					t.Errorf("got WWW-Authenticate %q, want %q", got, tt.challenge)
				}
			})
		}
	}
}

func TestProvidersExpiredToken(t *testing.T) {
	e := newEnv(t)
	token := e.clientToken()
	e.clock.Advance(299 * time.Second)
	e.wantProvidersOK(token)
	e.clock.Advance(2 * time.Second)
	for _, path := range []string{"/api/v1/providers", "/api/v2/providers"} {
		r := e.bearer(http.MethodGet, path, token)
		wantOAuthError(t, r, http.StatusUnauthorized, "invalid_token")
		wantBearerChallenge(t, r)
	}
}
