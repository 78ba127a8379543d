package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
	"github.com/consentry/consentry/providers/sandbox"
	"github.com/consentry/consentry/server"
)

// consentView is what a consent page shows.
type consentView struct {
	lang    string
	heading string
	// lines are the plain-language scope lines keyed by their data-scope.
	lines     []string
	scopes    []string
	decisions []string
}

func readConsent(t *testing.T, body string) consentView {
	t.Helper()
	var v consentView
	walkHTML(t, body, func(n *html.Node) {
		switch {
		case n.Data == "html":
			v.lang = attr(n, "lang")
		case n.Data == "h1":
			v.heading = strings.TrimSpace(nodeText(n))
		case n.Data == "li" && attr(n, "data-scope") != "":
			v.scopes = append(v.scopes, attr(n, "data-scope"))
			v.lines = append(v.lines, strings.TrimSpace(nodeText(n)))
		case n.Data == "button" && attr(n, "name") == "decision":
			v.decisions = append(v.decisions, attr(n, "value"))
		}
	})
	return v
}

// consentFor opens an authorization with the header on the first request,
// signs in as the demo user, and returns the consent page.
func (e *env) consentFor(t *testing.T, b *browser, overrides url.Values, header http.Header) page {
	t.Helper()
	merged := url.Values{"state": {testState}}
	for name, values := range overrides {
		merged[name] = values
	}
	signInPage := b.send(http.MethodGet, e.authorizeURL(e.authorizeParams(merged)), nil, header)
	if signInPage.resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize: got status %d, want 200:\n%s", signInPage.resp.StatusCode, signInPage.body)
	}
	after := b.submit(e.issuer, signInPage, credentials(server.DevUsername, server.DevPassword))
	wantSignedIn(t, after)
	consent := b.get(e.issuer + after.resp.Header.Get("Location"))
	if consent.resp.StatusCode != http.StatusOK {
		t.Fatalf("consent page: got status %d, want 200:\n%s", consent.resp.StatusCode, consent.body)
	}
	return consent
}

var scopeLines = map[string][]string{
	"en": {
		"Basic account information: account names, types and numbers",
		"Detailed account information: balances, limits and interest rates",
		"Payment details of the account: transit and routing numbers",
		"Your investment holdings",
		"The transactions of your accounts",
		"Your account statements",
		"Your contact information: email, phone and address",
		"Personal information about the account owner, such as name and date of birth",
	},
	"fr": {
		"Informations de base sur le compte : noms, types et numéros de compte",
		"Informations détaillées sur le compte : soldes, limites et taux d'intérêt",
		"Coordonnées de paiement du compte : numéros de transit et d'acheminement",
		"Vos placements",
		"Les opérations de vos comptes",
		"Vos relevés de compte",
		"Vos coordonnées : courriel, téléphone et adresse",
		"Renseignements personnels sur le titulaire du compte, comme le nom et la date de naissance",
	},
}

var consentHeadings = map[string]string{
	"en": "Allow Demo Recipient to read your data?",
	"fr": "Autoriser Demo Recipient à lire vos données ?",
}

var consentIntros = map[string]string{
	"en": "If you allow it, the application receives the following information from Sandbox Bank:",
	"fr": "Si vous l'autorisez, l'application reçoit les informations suivantes de Sandbox Bank :",
}

func TestConsentPageLanguage(t *testing.T) {
	cases := []struct {
		name      string
		uiLocales string
		accept    string
		want      string
	}{
		{"default", "", "", "en"},
		{"ui_locales fr", "fr", "", "fr"},
		{"ui_locales fr-CA", "fr-CA", "", "fr"},
		{"accept-language fr-CA", "", "fr-CA", "fr"},
		{"accept-language weighted", "", "en;q=0.5, fr-CA;q=0.9", "fr"},
		{"accept-language fr refused", "", "fr;q=0", "en"},
		{"ui_locales wins over header", "en", "fr-CA", "en"},
		{"first supported ui_locale", "de fr en", "", "fr"},
		{"unsupported ui_locales falls back to header", "de", "fr-CA", "fr"},
	}
	e := newEnv(t)
	all := strings.Join(consentry.UserDataScopes, " ")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			overrides := url.Values{"scope": {all}}
			if c.uiLocales != "" {
				overrides.Set("ui_locales", c.uiLocales)
			}
			header := http.Header{}
			if c.accept != "" {
				header.Set("Accept-Language", c.accept)
			}
			p := e.consentFor(t, e.newBrowser(), overrides, header)
			got := readConsent(t, p.body)
			if got.lang != c.want {
				t.Errorf("got lang %q, want %q", got.lang, c.want)
			}
			if got.heading != consentHeadings[c.want] {
				t.Errorf("got heading %q, want %q", got.heading, consentHeadings[c.want])
			}
			if !strings.Contains(html.UnescapeString(p.body), consentIntros[c.want]) {
				t.Errorf("page lacks the intro %q", consentIntros[c.want])
			}
			if strings.Join(got.scopes, " ") != all {
				t.Errorf("got scopes %v, want %s", got.scopes, all)
			}
			for i, want := range scopeLines[c.want] {
				if i >= len(got.lines) || got.lines[i] != want {
					t.Errorf("got scope lines %q, want line %d %q", got.lines, i, want)
					break
				}
			}
		})
	}
}

func TestConsentPageLists(t *testing.T) {
	e := newEnv(t)
	p := e.consentFor(t, e.newBrowser(), url.Values{"scope": {"TRANSACTIONS ACCOUNT_BASIC"}}, nil)
	got := readConsent(t, p.body)
	if want := []string{"TRANSACTIONS", "ACCOUNT_BASIC"}; strings.Join(got.scopes, " ") != strings.Join(want, " ") {
		t.Errorf("got scopes %v, want %v", got.scopes, want)
	}
	wantLines := []string{scopeLines["en"][4], scopeLines["en"][0]}
	if strings.Join(got.lines, "|") != strings.Join(wantLines, "|") {
		t.Errorf("got lines %q, want %q", got.lines, wantLines)
	}
	if strings.Join(got.decisions, " ") != "approve deny" {
		t.Errorf("got decision buttons %v, want [approve deny]", got.decisions)
	}
	if f := parseForm(t, p.body); f.action != consentPath {
		t.Errorf("got form action %q, want %s", f.action, consentPath)
	}
	if strings.Contains(p.body, "<script") {
		t.Error("page has a script, want a page that works without JavaScript")
	}
}

func TestConsentDecision(t *testing.T) {
	e := newEnv(t)
	t.Run("approve", func(t *testing.T) {
		b := e.newBrowser()
		p := b.submit(e.issuer, e.consentFor(t, b, nil, nil), url.Values{"decision": {"approve"}})
		query := redirectParams(t, p, devURI)
		if got := query.Get("state"); got != testState {
			t.Errorf("got state %q, want %q", got, testState)
		}
		if got := query.Get("iss"); got != e.issuer {
			t.Errorf("got iss %q, want %q", got, e.issuer)
		}
		if _, ok := query["error"]; ok {
			t.Errorf("got error %q, want none", query.Get("error"))
		}
		if got := p.resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("got Cache-Control %q, want no-store", got)
		}
		tokens := e.exchange(query.Get("code"))
		if got := str(tokens.body["scope"]); got != "ACCOUNT_BASIC TRANSACTIONS" {
			t.Errorf("got scope %q, want ACCOUNT_BASIC TRANSACTIONS", got)
		}
	})
	t.Run("deny", func(t *testing.T) {
		b := e.newBrowser()
		p := b.submit(e.issuer, e.consentFor(t, b, nil, nil), url.Values{"decision": {"deny"}})
		e.wantErrorRedirect(t, p, devURI, oauth.ErrUserDenied, testState)
	})
	t.Run("invalid then approve", func(t *testing.T) {
		b := e.newBrowser()
		consent := e.consentFor(t, b, nil, nil)
		for _, decision := range []url.Values{{}, {"decision": {"maybe"}}, {"decision": {"APPROVE"}}} {
			wantErrorPage(t, b.submit(e.issuer, consent, decision), http.StatusBadRequest,
				oauth.ErrDecision.Description)
		}
		p := b.submit(e.issuer, consent, url.Values{"decision": {"approve"}})
		if query := redirectParams(t, p, devURI); query.Get("code") == "" {
			t.Errorf("got no code after a valid decision; query %v", query)
		}
	})
}

// TestPagesIgnoreExtraFields adds the request's parameters to the sign-in
// and consent forms: the server takes the client, redirect URI, scopes and
// state from the stored request only.
func TestPagesIgnoreExtraFields(t *testing.T) {
	e := newEnv(t)
	extra := url.Values{
		"client_id":      {"someone-else"},
		"redirect_uri":   {"https://evil.example/cb"},
		"scope":          {"ACCOUNT_BASIC INVESTMENTS STATEMENTS"},
		"state":          {"forged"},
		"provider_id":    {"2000"},
		"code_challenge": {validChallenge},
		"username_hint":  {"admin"},
	}
	b := e.newBrowser()
	signInPage := e.openSignIn(b, nil)
	fields := credentials(server.DevUsername, server.DevPassword)
	for name, values := range extra {
		fields[name] = values
	}
	// The pages take no return URL, so one in the query of the post is
	// ignored as well.
	signInForm := parseForm(t, signInPage.body)
	for name, values := range signInForm.values {
		fields[name] = values
	}
	returnQuery := "?redirect_uri=https%3A%2F%2Fevil.example%2Fcb&next=https%3A%2F%2Fevil.example"
	after := b.postForm(e.issuer+signInForm.action+returnQuery, fields)
	wantSignedIn(t, after)
	consent := b.get(e.issuer + after.resp.Header.Get("Location"))
	if got := readConsent(t, consent.body).scopes; strings.Join(got, " ") != "ACCOUNT_BASIC TRANSACTIONS" {
		t.Errorf("got consent scopes %v, want the requested ones", got)
	}
	fields = url.Values{"decision": {"approve"}}
	for name, values := range extra {
		fields[name] = values
	}
	consentForm := parseForm(t, consent.body)
	for name, values := range consentForm.values {
		fields[name] = values
	}
	query := redirectParams(t, b.postForm(e.issuer+consentForm.action+returnQuery, fields), devURI)
	if got := query.Get("state"); got != testState {
		t.Errorf("got state %q, want %q", got, testState)
	}
	tokens := e.exchange(query.Get("code"))
	if got := str(tokens.body["scope"]); got != "ACCOUNT_BASIC TRANSACTIONS" {
		t.Errorf("got scope %q, want ACCOUNT_BASIC TRANSACTIONS", got)
	}
	if got := str(tokens.body["provider_id"]); got != server.DevProviderID {
		t.Errorf("got provider_id %q, want %s", got, server.DevProviderID)
	}
}

// TestPendingRequestExpiry lets a pending request expire at each step: the
// next page response sends session_expired to the client once, and a page
// after that.
func TestPendingRequestExpiry(t *testing.T) {
	steps := []struct {
		name string
		// open reaches the step and returns the action that continues it.
		open func(t *testing.T, e *env, b *browser) func() page
	}{
		{"sign-in post", func(t *testing.T, e *env, b *browser) func() page {
			p := e.openSignIn(b, nil)
			return func() page { return b.submit(e.issuer, p, credentials(server.DevUsername, server.DevPassword)) }
		}},
		{"consent page", func(t *testing.T, e *env, b *browser) func() page {
			p := e.openSignIn(b, nil)
			after := b.submit(e.issuer, p, credentials(server.DevUsername, server.DevPassword))
			return func() page { return b.get(e.issuer + after.resp.Header.Get("Location")) }
		}},
		{"consent post", func(t *testing.T, e *env, b *browser) func() page {
			consent := e.consentFor(t, b, nil, nil)
			return func() page { return b.submit(e.issuer, consent, url.Values{"decision": {"approve"}}) }
		}},
		{"cancel", func(t *testing.T, e *env, b *browser) func() page {
			p := e.openSignIn(b, nil)
			return func() page { return b.submit(e.issuer, p, url.Values{"cancel": {"1"}}) }
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBrowser()
			next := step.open(t, e, b)
			e.clock.Advance(15 * time.Minute)
			e.wantErrorRedirect(t, next(), devURI, oauth.ErrSessionExpired, testState)
			wantErrorPage(t, next(), http.StatusBadRequest, oauth.ErrPendingUnknown.Description)
		})
	}
	t.Run("just before expiry", func(t *testing.T) {
		e := newEnv(t)
		b := e.newBrowser()
		consent := e.consentFor(t, b, nil, nil)
		e.clock.Advance(15*time.Minute - time.Second)
		query := redirectParams(t, b.submit(e.issuer, consent, url.Values{"decision": {"approve"}}), devURI)
		if query.Get("code") == "" {
			t.Errorf("got no code one second before expiry; query %v", query)
		}
	})
}

// TestPagesEscapeNames registers a client and a provider whose names hold
// markup: the pages show them as text.
func TestPagesEscapeNames(t *testing.T) {
	e := newEnv(t)
	const clientName = `<img src=x onerror=alert(1)>"App"`
	const providerName = `</title><script>alert(2)</script>`
	err := e.store.CreateProvider(context.Background(), consentry.Provider{ID: "3000", Name: providerName,
		Country: "CA", Kind: consentry.ProviderSandbox, Scopes: consentry.UserDataScopes, CreatedAt: e.clock.Now()})
	if err != nil {
		t.Fatalf("create provider: %v", err)
	}
	e.createClient(consentry.Client{ID: "markup", Name: clientName, Providers: []string{"3000"}})
	hash, err := sandbox.HashPassword(server.DevPassword)
	if err != nil {
		t.Fatalf("hash password: %v", err)
	}
	err = e.store.CreateSandboxUser(context.Background(), consentry.SandboxUser{ProviderID: "3000",
		Username: server.DevUsername, PasswordHash: hash, CreatedAt: e.clock.Now()})
	if err != nil {
		t.Fatalf("create sandbox user: %v", err)
	}
	b := e.newBrowser()
	p := e.consentFor(t, b, url.Values{"client_id": {"markup"}, "redirect_uri": {"https://app.example/callback"},
		"provider_id": {"3000"}}, nil)
	for _, raw := range []string{"<img", "<script", "</title><"} {
		if strings.Contains(p.body, raw) {
			t.Errorf("consent page contains raw markup %q", raw)
		}
	}
	if got, want := readConsent(t, p.body).heading, "Allow "+clientName+" to read your data?"; got != want {
		t.Errorf("got heading %q, want %q", got, want)
	}
}
