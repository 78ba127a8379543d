package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/server"
)

// Clients and providers of the authorization-request tests, next to the
// development seed.
const (
	ccOnlyClient    = "cc-only"
	narrowClient    = "narrow"
	publicClient    = "public-app"
	queryURIClient  = "query-uri"
	multiClient     = "multi-provider"
	pkceClient      = "pkce-required"
	otherProviderID = "2000"
	// Providers the multi-provider client is registered with.
	suspendedProviderID = "4000"
	basicProviderID     = "5000"
	upstreamProviderID  = "6000"
	queryURI            = "https://app.example/cb?tenant=7"
	// validChallenge is the S256 challenge of the RFC 7636 appendix B verifier.
	validChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGUSjtw-cM"
)

var devURI = server.DevRedirectURIs[0]

// newAuthorizeEnv starts a server with clients that fail each step of the
// authorization request checks.
func newAuthorizeEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.createClient(consentry.Client{ID: ccOnlyClient, RedirectURIs: []string{"https://cc.example/cb"},
		GrantTypes: []string{consentry.GrantClientCredentials}, Scopes: []string{consentry.ScopeClientAdmin}})
	e.createClient(consentry.Client{ID: narrowClient, Scopes: []string{consentry.ScopeAccountBasic}})
	e.createClient(consentry.Client{ID: publicClient, AuthMethods: []string{consentry.AuthMethodNone}})
	e.createClient(consentry.Client{ID: queryURIClient, RedirectURIs: []string{queryURI}})
	providers := []consentry.Provider{
		{ID: otherProviderID, Name: "Other Bank", Kind: consentry.ProviderSandbox, Scopes: consentry.UserDataScopes},
		{ID: suspendedProviderID, Name: "Suspended Bank", Kind: consentry.ProviderSandbox,
			Scopes: consentry.UserDataScopes, Disabled: true},
		{ID: basicProviderID, Name: "Basic Bank", Kind: consentry.ProviderSandbox,
			Scopes: []string{consentry.ScopeAccountBasic}},
		{ID: upstreamProviderID, Name: "Upstream Bank", Kind: consentry.ProviderOAuth2,
			Scopes: consentry.UserDataScopes, Upstream: []byte(`{}`)},
	}
	for _, p := range providers {
		p.Country, p.CreatedAt = "CA", e.clock.Now()
		if err := e.store.CreateProvider(context.Background(), p); err != nil {
			t.Fatalf("create provider %s: %v", p.ID, err)
		}
	}
	e.createClient(consentry.Client{ID: multiClient, RedirectURIs: []string{devURI},
		Providers: []string{server.DevProviderID, suspendedProviderID, basicProviderID, upstreamProviderID}})
	e.createClient(consentry.Client{ID: pkceClient, RedirectURIs: []string{devURI}, RequirePKCE: true})
	return e
}

// authorizeCase is an authorization request and its expected response: a
// sign-in page (ok), an error page (page), or an error redirect.
type authorizeCase struct {
	name string
	// overrides replace parameters of a valid request of the development
	// client with state testState; an empty slice removes one.
	overrides url.Values
	ok        bool
	page      bool
	want      *oauth.Error
	// uri is the redirect URI the error goes to; default the development
	// client's first one.
	uri string
	// noState means the redirect must carry no state.
	noState bool
}

func (c authorizeCase) params(e *env) url.Values {
	merged := url.Values{"state": {testState}}
	for name, values := range c.overrides {
		merged[name] = values
	}
	return e.authorizeParams(merged)
}

// check asserts the response p to the case's request.
func (c authorizeCase) check(t *testing.T, e *env, p page) {
	t.Helper()
	switch {
	case c.ok:
		if p.resp.StatusCode != http.StatusOK {
			t.Fatalf("got status %d, want 200; Location %q; body:\n%s", p.resp.StatusCode,
				p.resp.Header.Get("Location"), p.body)
		}
		if f := parseForm(t, p.body); f.action != "/api/v1/authorize/signin" {
			t.Errorf("got form action %q, want the sign-in path", f.action)
		}
	case c.page:
		wantErrorPage(t, p, c.want.Status, c.want.Description)
	default:
		wantRetryAfter := ""
		if c.want.Code == oauth.CodeTemporarilyUnavailable {
			wantRetryAfter = "5"
		}
		if got := p.resp.Header.Get("Retry-After"); got != wantRetryAfter {
			t.Errorf("got Retry-After %q, want %q", got, wantRetryAfter)
		}
		uri, state := c.uri, testState
		if uri == "" {
			uri = devURI
		}
		if c.noState {
			state = ""
		}
		e.wantErrorRedirect(t, p, uri, c.want, state)
	}
}

func v(values ...string) []string { return values }

// authorizeCases covers every step of the checks in their order, and pairs
// of failing steps where the earlier step must decide.
func authorizeCases() []authorizeCase {
	return []authorizeCase{
		{name: "valid", ok: true},
		{name: "valid second redirect uri", overrides: url.Values{"redirect_uri": v(server.DevRedirectURIs[1])}, ok: true},
		{name: "valid public client with S256", overrides: url.Values{"client_id": v(publicClient),
			"redirect_uri": v("https://app.example/callback"), "code_challenge": v(validChallenge),
			"code_challenge_method": v("S256")}, ok: true},
		{name: "valid registered uri with query", overrides: url.Values{"client_id": v(queryURIClient),
			"redirect_uri": v(queryURI)}, ok: true},

		// Step 1: client_id.
		{name: "client_id missing", overrides: url.Values{"client_id": {}}, page: true, want: oauth.ErrClientIDMissing},
		{name: "client_id empty", overrides: url.Values{"client_id": v("")}, page: true, want: oauth.ErrClientIDMissing},
		{name: "client_id repeated", overrides: url.Values{"client_id": v(server.DevClientID, server.DevClientID)},
			page: true, want: oauth.ErrClientIDMissing},
		{name: "client_id unknown", overrides: url.Values{"client_id": v("no-such-client")}, page: true,
			want: oauth.ErrClientUnknown},
		{name: "client_id differs in case", overrides: url.Values{"client_id": v("Demo-Recipient")}, page: true,
			want: oauth.ErrClientUnknown},

		// Step 2: redirect_uri.
		{name: "redirect_uri missing", overrides: url.Values{"redirect_uri": {}}, page: true,
			want: oauth.ErrRedirectURIMissing},
		{name: "redirect_uri empty", overrides: url.Values{"redirect_uri": v("")}, page: true,
			want: oauth.ErrRedirectURIMissing},
		{name: "redirect_uri repeated", overrides: url.Values{"redirect_uri": v(devURI, devURI)}, page: true,
			want: oauth.ErrRedirectURIMissing},
		{name: "redirect_uri unregistered", overrides: url.Values{"redirect_uri": v("https://evil.example/cb")},
			page: true, want: oauth.ErrRedirectURIUnknown},
		{name: "redirect_uri trailing slash", overrides: url.Values{"redirect_uri": v(devURI + "/")}, page: true,
			want: oauth.ErrRedirectURIUnknown},
		{name: "redirect_uri path case", overrides: url.Values{"redirect_uri": v("http://127.0.0.1:8081/Callback")},
			page: true, want: oauth.ErrRedirectURIUnknown},
		{name: "redirect_uri scheme case", overrides: url.Values{"redirect_uri": v("HTTP://127.0.0.1:8081/callback")},
			page: true, want: oauth.ErrRedirectURIUnknown},
		{name: "redirect_uri extra query", overrides: url.Values{"redirect_uri": v(devURI + "?next=x")}, page: true,
			want: oauth.ErrRedirectURIUnknown},
		{name: "redirect_uri registered query changed", overrides: url.Values{"client_id": v(queryURIClient),
			"redirect_uri": v("https://app.example/cb?tenant=8")}, page: true, want: oauth.ErrRedirectURIUnknown},
		{name: "redirect_uri other port", overrides: url.Values{"redirect_uri": v("http://127.0.0.1:8082/callback")},
			page: true, want: oauth.ErrRedirectURIUnknown},
		{name: "redirect_uri of another client", overrides: url.Values{"redirect_uri": v("https://app.example/callback")},
			page: true, want: oauth.ErrRedirectURIUnknown},
		{name: "redirect_uri with fragment", overrides: url.Values{"redirect_uri": v(devURI + "#x")}, page: true,
			want: oauth.ErrRedirectURIUnknown},

		// Step 3: any other parameter repeated.
		{name: "scope repeated", overrides: url.Values{"scope": v("ACCOUNT_BASIC", "ACCOUNT_BASIC")},
			want: oauth.ErrParamRepeated},
		{name: "state repeated", overrides: url.Values{"state": v(testState, testState)}, want: oauth.ErrParamRepeated,
			noState: true},
		{name: "provider_id repeated", overrides: url.Values{"provider_id": v("1000", "2000")}, want: oauth.ErrParamRepeated},
		{name: "unknown parameter repeated", overrides: url.Values{"extra": v("1", "2")}, want: oauth.ErrParamRepeated},

		// Step 4: response_type.
		{name: "response_type missing", overrides: url.Values{"response_type": {}}, want: oauth.ErrResponseTypeMissing},
		{name: "response_type empty", overrides: url.Values{"response_type": v("")}, want: oauth.ErrResponseTypeMissing},
		{name: "response_type token", overrides: url.Values{"response_type": v("token")}, want: oauth.ErrResponseType},
		{name: "response_type code token", overrides: url.Values{"response_type": v("code token")},
			want: oauth.ErrResponseType},
		{name: "response_type upper case", overrides: url.Values{"response_type": v("CODE")}, want: oauth.ErrResponseType},

		// Step 5: the client's grant types.
		{name: "client without code grant", overrides: url.Values{"client_id": v(ccOnlyClient),
			"redirect_uri": v("https://cc.example/cb")}, uri: "https://cc.example/cb", want: oauth.ErrCodeGrantNotAllowed},

		// Step 6: state.
		{name: "state missing", overrides: url.Values{"state": {}}, want: oauth.ErrStateMissing, noState: true},
		{name: "state empty", overrides: url.Values{"state": v("")}, want: oauth.ErrStateMissing, noState: true},
		{name: "state at max length", overrides: url.Values{"state": v(strings.Repeat("s", 2048))}, ok: true},
		{name: "state too long", overrides: url.Values{"state": v(strings.Repeat("s", 2049))},
			want: oauth.ErrStateTooLong, noState: true},

		// Step 7: scope.
		{name: "scope with repeated token", overrides: url.Values{"scope": v("ACCOUNT_BASIC  ACCOUNT_BASIC")}, ok: true},
		{name: "scope missing", overrides: url.Values{"scope": {}}, want: oauth.ErrScopeMissing},
		{name: "scope blank", overrides: url.Values{"scope": v("  ")}, want: oauth.ErrScopeMissing},
		{name: "scope unknown", overrides: url.Values{"scope": v("ACCOUNT_BASIC FOO")}, want: oauth.ErrScopeUnknown},
		{name: "scope lower case", overrides: url.Values{"scope": v("account_basic")}, want: oauth.ErrScopeUnknown},
		{name: "scope not allowed for client", overrides: url.Values{"client_id": v(narrowClient),
			"redirect_uri": v("https://app.example/callback"), "scope": v("ACCOUNT_BASIC TRANSACTIONS")},
			uri: "https://app.example/callback", want: oauth.ErrScopeNotAllowed},
		{name: "scope without ACCOUNT_BASIC", overrides: url.Values{"scope": v("TRANSACTIONS")}, want: oauth.ErrScopeNoBasic},
		{name: "scope client:admin", overrides: url.Values{"scope": v("ACCOUNT_BASIC client:admin")},
			want: oauth.ErrScopeManagement},
		{name: "scope client:admin alone", overrides: url.Values{"scope": v("client:admin")}, want: oauth.ErrScopeManagement},

		// Step 8: provider_id.
		{name: "provider_id missing", overrides: url.Values{"provider_id": {}}, want: oauth.ErrProviderMissing},
		{name: "provider_id unknown", overrides: url.Values{"provider_id": v("9999")}, want: oauth.ErrProviderUnknown},
		{name: "provider not registered", overrides: url.Values{"provider_id": v(otherProviderID)},
			want: oauth.ErrProviderNotAllowed},

		{name: "provider suspended", overrides: url.Values{"client_id": v(multiClient),
			"provider_id": v(suspendedProviderID)}, want: oauth.ErrProviderSuspended},
		{name: "scope not offered by provider", overrides: url.Values{"client_id": v(multiClient),
			"provider_id": v(basicProviderID)}, want: oauth.ErrScopeNotOffered},
		{name: "provider offers the scope", overrides: url.Values{"client_id": v(multiClient),
			"provider_id": v(basicProviderID), "scope": v("ACCOUNT_BASIC")}, ok: true},
		{name: "upstream provider", overrides: url.Values{"client_id": v(multiClient),
			"provider_id": v(upstreamProviderID)}, want: oauth.ErrProviderSuspended},

		// Step 9: PKCE.
		{name: "client requiring PKCE without it", overrides: url.Values{"client_id": v(pkceClient)},
			want: oauth.ErrPKCERequired},
		{name: "client requiring PKCE with S256", overrides: url.Values{"client_id": v(pkceClient),
			"code_challenge": v(validChallenge), "code_challenge_method": v("S256")}, ok: true},
		{name: "public client without PKCE", overrides: url.Values{"client_id": v(publicClient),
			"redirect_uri": v("https://app.example/callback")}, uri: "https://app.example/callback",
			want: oauth.ErrPKCERequired},
		{name: "challenge without method", overrides: url.Values{"code_challenge": v(validChallenge)},
			want: oauth.ErrPKCEMethodMissing},
		{name: "method plain", overrides: url.Values{"code_challenge": v(validChallenge),
			"code_challenge_method": v("plain")}, want: oauth.ErrPKCEMethod},
		{name: "method without challenge", overrides: url.Values{"code_challenge_method": v("S256")},
			want: oauth.ErrPKCEChallengeMissing},
		{name: "challenge malformed", overrides: url.Values{"code_challenge": v("short"),
			"code_challenge_method": v("S256")}, want: oauth.ErrPKCEChallenge},

		// Two failing steps: the earlier one decides.
		{name: "client unknown and redirect unregistered", overrides: url.Values{"client_id": v("nobody"),
			"redirect_uri": v("https://evil.example/cb")}, page: true, want: oauth.ErrClientUnknown},
		{name: "client missing and all else missing", overrides: url.Values{"client_id": {}, "redirect_uri": {},
			"response_type": {}, "state": {}, "scope": {}, "provider_id": {}}, page: true, want: oauth.ErrClientIDMissing},
		{name: "redirect unregistered and response_type token", overrides: url.Values{
			"redirect_uri": v("https://evil.example/cb"), "response_type": v("token")}, page: true,
			want: oauth.ErrRedirectURIUnknown},
		{name: "repeated and response_type missing", overrides: url.Values{"scope": v("A", "B"),
			"response_type": {}}, want: oauth.ErrParamRepeated},
		{name: "response_type token and state missing", overrides: url.Values{"response_type": v("token"),
			"state": {}}, want: oauth.ErrResponseType, noState: true},
		{name: "no code grant and state missing", overrides: url.Values{"client_id": v(ccOnlyClient),
			"redirect_uri": v("https://cc.example/cb"), "state": {}}, uri: "https://cc.example/cb",
			want: oauth.ErrCodeGrantNotAllowed, noState: true},
		{name: "state missing and scope unknown", overrides: url.Values{"state": {}, "scope": v("FOO")},
			want: oauth.ErrStateMissing, noState: true},
		{name: "scope unknown and provider unknown", overrides: url.Values{"scope": v("FOO"),
			"provider_id": v("9999")}, want: oauth.ErrScopeUnknown},
		{name: "provider not registered and method plain", overrides: url.Values{"provider_id": v(otherProviderID),
			"code_challenge": v(validChallenge), "code_challenge_method": v("plain")}, want: oauth.ErrProviderNotAllowed},
		{name: "public client provider missing without PKCE", overrides: url.Values{"client_id": v(publicClient),
			"redirect_uri": v("https://app.example/callback"), "provider_id": {}}, uri: "https://app.example/callback",
			want: oauth.ErrProviderMissing},
		{name: "registered query kept on error", overrides: url.Values{"client_id": v(queryURIClient),
			"redirect_uri": v(queryURI), "response_type": v("token")}, uri: queryURI, want: oauth.ErrResponseType},
	}
}

func TestAuthorizeCheckOrder(t *testing.T) {
	e := newAuthorizeEnv(t)
	for _, c := range authorizeCases() {
		t.Run("GET/"+c.name, func(t *testing.T) {
			p := e.newBrowser().get(e.authorizeURL(c.params(e)))
			c.check(t, e, p)
		})
		t.Run("POST/"+c.name, func(t *testing.T) {
			p := e.newBrowser().send(http.MethodPost, e.issuer+"/api/v1/authorize", c.params(e), nil)
			c.check(t, e, p)
		})
	}
}

// TestAuthorizeMalformedRequest covers requests that cannot be parsed, before
// the client is known, which must therefore end on a page.
func TestAuthorizeMalformedRequest(t *testing.T) {
	e := newAuthorizeEnv(t)
	valid := e.authorizeParams(url.Values{"state": {testState}}).Encode()
	cases := []struct {
		name   string
		query  string
		body   *string
		header http.Header
		want   *oauth.Error
	}{
		{name: "bad escape in query", query: valid + "&x=%zz", want: oauth.ErrQueryInvalid},
		{name: "semicolon in query", query: valid + ";x=1", want: oauth.ErrQueryInvalid},
		{name: "POST JSON body", body: &valid, header: http.Header{"Content-Type": {"application/json"}},
			want: oauth.ErrContentType},
		{name: "POST bad escape in body", body: ptr(valid + "&x=%zz"), want: oauth.ErrBodyInvalid},
		{name: "POST body over 64 KiB", body: ptr(valid + "&x=" + strings.Repeat("a", 64<<10)),
			want: oauth.ErrBodyTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method, body := http.MethodGet, ""
			if c.body != nil {
				method, body = http.MethodPost, *c.body
			}
			req, err := http.NewRequest(method, e.issuer+"/api/v1/authorize?"+c.query, strings.NewReader(body))
			if err != nil {
				t.Fatalf("new request: %v", err)
			}
			if c.body != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for name, values := range c.header {
				req.Header[name] = values
			}
			resp, err := e.newBrowser().client.Do(req)
			if err != nil {
				t.Fatalf("%s authorize: %v", method, err)
			}
			wantErrorPage(t, readPage(t, resp), c.want.Status, c.want.Description)
		})
	}
}

func ptr(s string) *string { return &s }

// TestAuthorizePostBodyAndQuery covers POST requests that split the
// parameters between the query and the form body: a parameter sent in both
// counts as repeated, even with the same value.
func TestAuthorizePostBodyAndQuery(t *testing.T) {
	e := newAuthorizeEnv(t)
	full := e.authorizeParams(url.Values{"state": {testState}})
	cases := []struct {
		name    string
		inQuery []string
		inBoth  []string
		ok      bool
		page    bool
		want    *oauth.Error
		noState bool
	}{
		{name: "split without overlap", inQuery: []string{"client_id", "redirect_uri"}, ok: true},
		{name: "client_id in both", inBoth: []string{"client_id"}, page: true, want: oauth.ErrClientIDMissing},
		{name: "redirect_uri in both", inBoth: []string{"redirect_uri"}, page: true, want: oauth.ErrRedirectURIMissing},
		{name: "scope in both", inBoth: []string{"scope"}, want: oauth.ErrParamRepeated},
		{name: "state in both", inBoth: []string{"state"}, want: oauth.ErrParamRepeated, noState: true},
		{name: "response_type in both", inBoth: []string{"response_type"}, want: oauth.ErrParamRepeated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			query, body := url.Values{}, url.Values{}
			for name, values := range full {
				body[name] = values
			}
			for _, name := range append(c.inQuery, c.inBoth...) {
				query[name] = full[name]
			}
			for _, name := range c.inQuery {
				body.Del(name)
			}
			p := e.newBrowser().send(http.MethodPost, e.issuer+"/api/v1/authorize?"+query.Encode(), body, nil)
			authorizeCase{ok: c.ok, page: c.page, want: c.want, noState: c.noState}.check(t, e, p)
		})
	}
}
