package e2e_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/consentry/consentry/oauth"
)

// testState is the state most authorization tests send. It contains
// characters that must be escaped in a redirect, so that a state that is
// lost, cut or double-encoded shows.
const testState = "st 1&a=b/?%+"

// pageHeaders are the headers every sign-in, consent and error page carries.
var pageHeaders = map[string]string{
	"X-Frame-Options":        "DENY",
	"Cache-Control":          "no-store",
	"Content-Type":           "text/html; charset=utf-8",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "no-referrer",
}

// pageCSP returns the Content-Security-Policy of a page whose forms may post
// to formAction.
func pageCSP(formAction string) string {
	return "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; " +
		"base-uri 'none'; form-action " + formAction
}

// send makes a request from the browser with a form body when body is not
// nil, and with the given headers.
func (b *browser) send(method, rawURL string, body url.Values, header http.Header) page {
	b.t.Helper()
	var reader *strings.Reader
	if body != nil {
		reader = strings.NewReader(body.Encode())
	} else {
		reader = strings.NewReader("")
	}
	req, err := http.NewRequest(method, rawURL, reader)
	if err != nil {
		b.t.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for name, values := range header {
		req.Header[name] = values
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	return readPage(b.t, resp)
}

// alertText returns the text of the first element with role="alert", the
// problem a page reports, or "" when there is none.
func alertText(t *testing.T, body string) string {
	t.Helper()
	var found *html.Node
	walkHTML(t, body, func(n *html.Node) {
		if found == nil && attr(n, "role") == "alert" {
			found = n
		}
	})
	if found == nil {
		return ""
	}
	return strings.TrimSpace(nodeText(found))
}

// walkHTML calls visit for every element of an HTML document.
func walkHTML(t *testing.T, body string, visit func(*html.Node)) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			visit(n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

func nodeText(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(nodeText(c))
	}
	return b.String()
}

// wantErrorPage checks that p is an HTML error page with the status and the
// catalogue description, which quotes its request id and redirects nowhere.
func wantErrorPage(t *testing.T, p page, status int, description string) {
	t.Helper()
	if got := p.resp.StatusCode; got != status {
		t.Errorf("got status %d, want %d; body:\n%s", got, status, p.body)
	}
	if got := p.resp.Header.Get("Location"); got != "" {
		t.Errorf("got Location %q, want none", got)
	}
	if got := alertText(t, p.body); got != description {
		t.Errorf("got page message %q, want %q", got, description)
	}
	id := p.resp.Header.Get("X-Request-Id")
	if id == "" {
		t.Error("got no X-Request-Id header, want one")
	} else if !strings.Contains(p.body, "<code>"+id+"</code>") {
		t.Errorf("page does not show its request id %s", id)
	}
	wantPageHeaders(t, p, pageCSP("'none'"))
}

// wantPageHeaders checks the headers that keep a page out of frames and
// caches, and its Content-Security-Policy.
func wantPageHeaders(t *testing.T, p page, csp string) {
	t.Helper()
	for name, want := range pageHeaders {
		if got := p.resp.Header.Get(name); got != want {
			t.Errorf("got %s %q, want %q", name, got, want)
		}
	}
	if got := p.resp.Header.Get("Content-Security-Policy"); got != csp {
		t.Errorf("got Content-Security-Policy %q, want %q", got, csp)
	}
}

// redirectParams checks that p is a 302 whose Location starts exactly with
// redirectURI, followed by the separator that keeps the registered query,
// and returns the Location's query.
func redirectParams(t *testing.T, p page, redirectURI string) url.Values {
	t.Helper()
	if p.resp.StatusCode != http.StatusFound {
		t.Fatalf("got status %d, want 302; body:\n%s", p.resp.StatusCode, p.body)
	}
	location := p.resp.Header.Get("Location")
	separator := "?"
	if strings.Contains(redirectURI, "?") {
		separator = "&"
	}
	if !strings.HasPrefix(location, redirectURI+separator) {
		t.Fatalf("got Location %q, want it to start with %q", location, redirectURI+separator)
	}
	parsed, err := url.Parse(location)
	if err != nil {
		t.Fatalf("parse Location %q: %v", location, err)
	}
	return parsed.Query()
}

// wantErrorRedirect checks that p sends want to the client's redirectURI
// with the state, or without any state when state is "", and with iss.
func (e *env) wantErrorRedirect(t *testing.T, p page, redirectURI string, want *oauth.Error,
	state string) url.Values {
	t.Helper()
	query := redirectParams(t, p, redirectURI)
	checks := []struct{ name, want string }{
		{"error", want.Code},
		{"error_description", want.Description},
		{"error_reason", want.Reason},
		{"state", state},
		{"iss", e.issuer},
		{"code", ""},
	}
	for _, c := range checks {
		got, present := query[c.name]
		switch {
		case c.want == "" && present:
			t.Errorf("got %s %q, want none", c.name, got)
		case c.want != "" && (len(got) != 1 || got[0] != c.want):
			t.Errorf("got %s %q, want %q", c.name, got, c.want)
		}
	}
	if got := p.resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}
	return query
}

// logLine is one JSON line of the server log.
type logLine map[string]any

func (e *env) logLines(t *testing.T) []logLine {
	t.Helper()
	var lines []logLine
	scanner := bufio.NewScanner(strings.NewReader(e.logs.String()))
	scanner.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for scanner.Scan() {
		var line logLine
		if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, scanner.Text())
		}
		lines = append(lines, line)
	}
	return lines
}

// requestLog returns the one request log line of the request id and fails
// the test unless there is exactly one.
func (e *env) requestLog(t *testing.T, requestID string) logLine {
	t.Helper()
	var found []logLine
	for _, line := range e.logLines(t) {
		if line["msg"] == "request" && line["request_id"] == requestID {
			found = append(found, line)
		}
	}
	if len(found) != 1 {
		t.Fatalf("got %d request log lines for request id %s, want 1", len(found), requestID)
	}
	return found[0]
}

// sessionCookie returns the session cookie that a response sets, or nil.
func sessionCookie(p page, name string) *http.Cookie {
	for _, c := range p.resp.Cookies() {
		if (c.Name == name || strings.HasPrefix(c.Name, name+"_")) && c.MaxAge >= 0 {
			return c
		}
	}
	return nil
}

// jarSession returns the value of the session cookie the browser holds for
// the issuer.
func (e *env) jarSession(b *browser) string {
	e.t.Helper()
	return e.jarSessionCookie(b).Value
}

// jarSessionCookie returns the session cookie the browser holds for the
// issuer, or an empty cookie.
func (e *env) jarSessionCookie(b *browser) *http.Cookie {
	e.t.Helper()
	issuer, err := url.Parse(e.issuer)
	if err != nil {
		e.t.Fatalf("parse issuer: %v", err)
	}
	for _, c := range b.client.Jar.Cookies(issuer) {
		if strings.Contains(c.Name, "consentry_session") {
			return c
		}
	}
	return &http.Cookie{}
}
