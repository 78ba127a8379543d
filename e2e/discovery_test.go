package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/server"
)

// TestMetadataDiscovery reads the RFC 8414 metadata and uses every endpoint
// it names, as a client that discovers them would.
func TestMetadataDiscovery(t *testing.T) {
	e := newEnv(t)
	r := e.bearer(http.MethodGet, "/.well-known/oauth-authorization-server", "")
	wantStatus(t, r, http.StatusOK)
	meta := r.body

	if got := str(meta["issuer"]); got != e.issuer {
		t.Errorf("got issuer %q, want %q", got, e.issuer)
	}
	wantList := map[string][]string{
		"response_types_supported":              {"code"},
		"grant_types_supported":                 {"authorization_code", "refresh_token", "client_credentials"},
		"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":      {"S256"},
		"ui_locales_supported":                  {"en", "fr"},
		"scopes_supported":                      append(append([]string{}, consentry.UserDataScopes...), "client:admin"),
	}
	for name, want := range wantList {
		if got := strings.Join(stringList(meta[name]), " "); got != strings.Join(want, " ") {
			t.Errorf("%s: got %q, want %q", name, got, strings.Join(want, " "))
		}
	}
	if meta["authorization_response_iss_parameter_supported"] != true {
		t.Error("authorization_response_iss_parameter_supported is not true")
	}

	// Every endpoint is under the issuer and answers.
	endpoints := map[string]string{}
	for _, name := range []string{"authorization_endpoint", "token_endpoint", "revocation_endpoint",
		"introspection_endpoint", "jwks_uri"} {
		endpoint := str(meta[name])
		if !strings.HasPrefix(endpoint, e.issuer+"/") {
			t.Fatalf("%s: got %q, want a URL under the issuer", name, endpoint)
		}
		endpoints[name] = strings.TrimPrefix(endpoint, e.issuer)
	}

	token := e.post(endpoints["token_endpoint"], url.Values{"grant_type": {"client_credentials"}},
		server.DevClientID, server.DevClientSecret)
	wantStatus(t, token, http.StatusOK)
	access := str(token.body["access_token"])

	jwks := e.bearer(http.MethodGet, endpoints["jwks_uri"], "")
	wantStatus(t, jwks, http.StatusOK)
	if got := jwks.resp.Header.Get("Cache-Control"); !strings.Contains(got, "max-age=300") {
		t.Errorf("jwks Cache-Control: got %q, want max-age=300", got)
	}
	if kid := tokenKeyID(t, access); !slices.Contains(jwksKeyIDs(jwks.body), kid) {
		t.Errorf("access token kid %q is not in the JWKS %v", kid, jwksKeyIDs(jwks.body))
	}

	intro := e.post(endpoints["introspection_endpoint"], url.Values{"token": {access}},
		server.DevClientID, server.DevClientSecret)
	wantStatus(t, intro, http.StatusOK)
	if intro.body["active"] != true {
		t.Errorf("introspection of a fresh token: got %s, want active", intro.raw)
	}
	revoke := e.post(endpoints["revocation_endpoint"], url.Values{"token": {access}},
		server.DevClientID, server.DevClientSecret)
	if revoke.resp.StatusCode != http.StatusOK {
		t.Errorf("revocation: got status %d, want 200", revoke.resp.StatusCode)
	}
	authorize := e.newBrowser().get(e.issuer + endpoints["authorization_endpoint"] + "?" +
		e.authorizeParams(nil).Encode())
	if authorize.resp.StatusCode != http.StatusOK {
		t.Errorf("authorization endpoint: got status %d, want the sign-in page", authorize.resp.StatusCode)
	}
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, item := range list {
		out = append(out, str(item))
	}
	return out
}

func tokenKeyID(t *testing.T, jwt string) string {
	t.Helper()
	header, _, _ := strings.Cut(jwt, ".")
	raw, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		t.Fatalf("decode JWT header: %v", err)
	}
	var h struct {
		KeyID string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatalf("parse JWT header: %v", err)
	}
	return h.KeyID
}

func jwksKeyIDs(body map[string]any) []string {
	keys, _ := body["keys"].([]any)
	var ids []string
	for _, k := range keys {
		if m, ok := k.(map[string]any); ok {
			ids = append(ids, str(m["kid"]))
		}
	}
	return ids
}

func (e *env) introspect(token, id, secret string) jsonResponse {
	e.t.Helper()
	return e.post("/api/v1/introspect", url.Values{"token": {token}}, id, secret)
}

func TestIntrospection(t *testing.T) {
	e := newEnv(t)
	tokens := e.exchange(e.code(nil))
	access := str(tokens.body["access_token"])
	refresh := str(tokens.body["refresh_token"])

	r := e.introspect(access, server.DevClientID, server.DevClientSecret)
	wantStatus(t, r, http.StatusOK)
	for _, name := range []string{"scope", "client_id", "sub", "exp", "iat", "iss", "token_type"} {
		if _, ok := r.body[name]; !ok {
			t.Errorf("access token introspection lacks %s: %s", name, r.raw)
		}
	}
	if r.body["active"] != true || str(r.body["token_type"]) != "Bearer" || str(r.body["iss"]) != e.issuer {
		t.Errorf("access token introspection: got %s", r.raw)
	}
	if got := r.resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}
	r = e.introspect(refresh, server.DevClientID, server.DevClientSecret)
	if r.body["active"] != true || str(r.body["token_type"]) != "refresh_token" ||
		str(r.body["scope"]) != "ACCOUNT_BASIC TRANSACTIONS" {
		t.Errorf("refresh token introspection: got %s", r.raw)
	}

	other := e.createClient(consentry.Client{ID: "other-client"})
	inactive := map[string]func() jsonResponse{
		"unknown token":        func() jsonResponse { return e.introspect("no-such-token", server.DevClientID, server.DevClientSecret) },
		"another client":       func() jsonResponse { return e.introspect(access, "other-client", other) },
		"garbage JWT":          func() jsonResponse { return e.introspect("a.b.c", server.DevClientID, server.DevClientSecret) },
		"other client refresh": func() jsonResponse { return e.introspect(refresh, "other-client", other) },
	}
	for name, call := range inactive {
		r := call()
		wantStatus(t, r, http.StatusOK)
		if strings.TrimSpace(r.raw) != `{"active":false}` {
			t.Errorf("%s: got %s, want exactly {\"active\":false}", name, r.raw)
		}
	}

	// A used refresh token and, after revocation, every token are inactive.
	rotated := e.refresh(refresh)
	wantStatus(t, rotated, http.StatusOK)
	if r := e.introspect(refresh, server.DevClientID, server.DevClientSecret); strings.TrimSpace(r.raw) != `{"active":false}` {
		t.Errorf("used refresh token: got %s, want inactive", r.raw)
	}
	wantStatus(t, e.bearer(http.MethodDelete, "/api/v1/revoke", str(rotated.body["access_token"])), http.StatusNoContent)
	for _, token := range []string{access, str(rotated.body["access_token"]), str(rotated.body["refresh_token"])} {
		if r := e.introspect(token, server.DevClientID, server.DevClientSecret); strings.TrimSpace(r.raw) != `{"active":false}` {
			t.Errorf("token of a revoked connection: got %s, want inactive", r.raw)
		}
	}
}

func TestIntrospectionNeedsClient(t *testing.T) {
	e := newEnv(t)
	r := e.post("/api/v1/introspect", url.Values{"token": {"x"}}, "", "")
	wantError(t, r, http.StatusBadRequest, "invalid_request")
	r = e.introspect("x", server.DevClientID, "wrong")
	wantError(t, r, http.StatusBadRequest, "invalid_client")
	r = e.post("/api/v1/introspect", url.Values{}, server.DevClientID, server.DevClientSecret)
	wantError(t, r, http.StatusBadRequest, "invalid_request")
}
