package e2e_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/consentry/consentry/server"
)

// flowIDs are the request ids of one browser flow, by step.
type flowIDs map[string]string

// loggedFlow runs a browser flow with a failed and a successful sign-in and
// an approval, sending correlationID on the authorization request, and
// returns the request ids and every secret value the flow handled.
func loggedFlow(t *testing.T, e *env, correlationID string) (flowIDs, []string) {
	t.Helper()
	const password, wrong = "pw-Secret-41d7", "wrong-Secret-93b2"
	state := "state-Secret-5c1e"
	username := "logged-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	e.createUser(username, password)
	b := e.newBrowser()
	overrides := url.Values{"state": {state}}
	if correlationID != "" {
		overrides.Set("correlation_id", correlationID)
	}
	signInPage := b.get(e.authorizeURL(e.authorizeParams(overrides)))
	firstSession := e.jarSession(b)
	failed := b.submit(e.issuer, signInPage, credentials(username, wrong))
	after := b.submit(e.issuer, failed, credentials(username, password))
	wantSignedIn(t, after)
	consent := b.get(e.issuer + after.resp.Header.Get("Location"))
	done := b.submit(e.issuer, consent, url.Values{"decision": {"approve"}})
	query := redirectParams(t, done, devURI)

	ids := flowIDs{}
	for step, p := range map[string]page{"authorize": signInPage, "sign-in failed": failed,
		"sign-in": after, "consent page": consent, "consent": done} {
		ids[step] = p.resp.Header.Get("X-Request-Id")
	}
	signInForm, consentForm := parseForm(t, signInPage.body).values, parseForm(t, consent.body).values
	secrets := []string{password, wrong, state, url.QueryEscape(state), query.Get("code"), firstSession,
		e.jarSession(b), signInForm.Get("request"), signInForm.Get("csrf_token"), consentForm.Get("csrf_token")}
	return ids, secrets
}

// TestRequestLogCorrelation checks the one request log line of every step:
// it has the request id, and the correlation_id of the authorization request
// when that was valid, on the later page requests too.
func TestRequestLogCorrelation(t *testing.T) {
	cases := []struct {
		name, sent, want string
	}{
		{"valid", "corr-42.A_b", "corr-42.A_b"},
		{"64 characters", strings.Repeat("c", 64), strings.Repeat("c", 64)},
		{"65 characters", strings.Repeat("c", 65), ""},
		{"space", "a b", ""},
		{"slash", "a/b", ""},
		{"newline", "a\nb", ""},
		{"absent", "", ""},
	}
	e := newEnv(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ids, _ := loggedFlow(t, e, c.sent)
			for step, id := range ids {
				line := e.requestLog(t, id)
				got, present := line["correlation_id"]
				switch {
				case c.want == "" && present:
					t.Errorf("%s: got correlation_id %v, want none", step, got)
				case c.want != "" && got != c.want:
					t.Errorf("%s: got correlation_id %v, want %q", step, got, c.want)
				}
				if line["level"] != "INFO" || line["method"] == nil || line["status"] == nil {
					t.Errorf("%s: got log line %v, want level INFO with method and status", step, line)
				}
			}
		})
	}
}

// TestLogsKeepSecretsOut checks that no password, state, code, session id,
// pending request id or CSRF token of a flow appears in any log line.
func TestLogsKeepSecretsOut(t *testing.T) {
	e := newEnv(t)
	_, secrets := loggedFlow(t, e, "corr-1")
	logs := e.logs.String()
	for _, secret := range secrets {
		if secret == "" {
			t.Fatal("the flow produced an empty secret; the check would be void")
		}
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain the secret %q", secret)
		}
	}
	if strings.Contains(logs, "/api/v1/authorize?") || strings.Contains(logs, "request=") {
		t.Error("logs contain a query string")
	}
}

// TestRequestIDOnEveryResponse sends one request of each kind and checks
// that every response has its own X-Request-Id.
func TestRequestIDOnEveryResponse(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser()
	signInPage := e.openSignIn(b, nil)
	responses := map[string]page{
		"sign-in page":   signInPage,
		"error page":     b.get(e.issuer + "/api/v1/authorize"),
		"error redirect": b.get(e.authorizeURL(e.authorizeParams(url.Values{"response_type": {"token"}}))),
		"sign-in post":   b.submit(e.issuer, signInPage, credentials(server.DevUsername, wrongPassword)),
		"token error":    b.send(http.MethodPost, e.issuer+"/api/v1/token", url.Values{}, nil),
		"not found":      b.get(e.issuer + "/nowhere"),
		"health":         b.get(e.issuer + "/healthz"),
		"stylesheet":     b.get(e.issuer + "/static/consentry.css"),
		"metadata":       b.get(e.issuer + "/.well-known/oauth-authorization-server"),
		"wrong method":   b.send(http.MethodPut, e.issuer+"/api/v1/authorize", nil, nil),
	}
	pattern := regexp.MustCompile(`^[0-9a-f]{24}$`)
	seen := map[string]string{}
	for name, p := range responses {
		id := p.resp.Header.Get("X-Request-Id")
		if !pattern.MatchString(id) {
			t.Errorf("%s: got X-Request-Id %q, want 24 hex digits", name, id)
			continue
		}
		if other, dup := seen[id]; dup {
			t.Errorf("%s and %s share request id %s", name, other, id)
		}
		seen[id] = name
		e.requestLog(t, id)
	}
}

// TestLogsClientIDOnlyWhenRegistered checks that the request log names the
// client only once the client_id was found, because an unknown value may be a
// secret pasted into the wrong field.
func TestLogsClientIDOnlyWhenRegistered(t *testing.T) {
	const pasted = "pasted-Secret-0f3a9"
	cases := []struct {
		name      string
		overrides url.Values
		want      string
	}{
		{"unknown client", url.Values{"client_id": {pasted}}, ""},
		{"repeated client", url.Values{"client_id": {server.DevClientID, pasted}}, ""},
		{"unregistered redirect", url.Values{"redirect_uri": {"https://evil.example/cb"}}, server.DevClientID},
		{"later failure", url.Values{"response_type": {"token"}}, server.DevClientID},
		{"valid", nil, server.DevClientID},
	}
	e := newEnv(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := e.newBrowser().get(e.authorizeURL(e.authorizeParams(c.overrides)))
			line := e.requestLog(t, p.resp.Header.Get("X-Request-Id"))
			got, present := line["client_id"]
			switch {
			case c.want == "" && present:
				t.Errorf("got client_id %v in the log, want none", got)
			case c.want != "" && got != c.want:
				t.Errorf("got client_id %v in the log, want %q", got, c.want)
			}
		})
	}
	if strings.Contains(e.logs.String(), pasted) {
		t.Error("logs contain the unknown client_id value")
	}
}
