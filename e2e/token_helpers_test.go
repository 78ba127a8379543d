package e2e_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/server"
	"github.com/consentry/consentry/tokens"
)

const tokenPath = "/api/v1/token"

// tokenRequest is a hand-built request to a body-parameter endpoint, for the
// cases that env.post cannot express: other content types, raw bodies, a
// query string, no credentials or odd Authorization headers.
type tokenRequest struct {
	path        string
	query       string
	contentType string
	body        string
	// authorization is the whole Authorization header. An empty value sends
	// none.
	authorization string
}

// send performs the request and reads the JSON response.
func (tr tokenRequest) send(e *env) jsonResponse {
	e.t.Helper()
	path := tr.path
	if path == "" {
		path = tokenPath
	}
	target := e.issuer + path
	if tr.query != "" {
		target += "?" + tr.query
	}
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(tr.body))
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	if tr.contentType != "" {
		req.Header.Set("Content-Type", tr.contentType)
	}
	if tr.authorization != "" {
		req.Header.Set("Authorization", tr.authorization)
	}
	return e.do(req)
}

// basicHeader returns an Authorization header value with id and secret
// form-encoded before base64, as RFC 6749 §2.3.1 requires.
func basicHeader(id, secret string) string {
	raw := url.QueryEscape(id) + ":" + url.QueryEscape(secret)
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(raw))
}

// devBasic is the Basic header of the development client.
var devBasic = basicHeader(server.DevClientID, server.DevClientSecret)

// wantTokenHeaders checks the caching and content headers that every token
// endpoint response carries, errors included (RFC 6749 §5.1).
func wantTokenHeaders(t testing.TB, r jsonResponse) {
	t.Helper()
	want := map[string]string{
		"Cache-Control": "no-store",
		"Pragma":        "no-cache",
		"Content-Type":  "application/json",
	}
	for name, value := range want {
		if got := r.resp.Header.Get(name); got != value {
			t.Errorf("got %s %q, want %q", name, got, value)
		}
	}
}

// wantOAuthError checks a JSON error's status, code, headers and
// description characters.
func wantOAuthError(t testing.TB, r jsonResponse, status int, code string) {
	t.Helper()
	if r.resp.StatusCode != status {
		t.Errorf("got status %d, want %d; body %s", r.resp.StatusCode, status, r.raw)
	}
	if got := str(r.body["error"]); got != code {
		t.Errorf("got error %q, want %q; body %s", got, code, r.raw)
	}
	wantTokenHeaders(t, r)
	wantDescriptionCharset(t, r)
}

// wantDescriptionCharset checks that error_description is present and uses
// only printable ASCII without '"' and '\' (RFC 6749 §5.2).
func wantDescriptionCharset(t testing.TB, r jsonResponse) {
	t.Helper()
	description := str(r.body["error_description"])
	if description == "" {
		t.Errorf("got empty error_description, want a sentence; body %s", r.raw)
	}
	for _, c := range description {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			t.Errorf("got error_description with character %q, want printable ASCII "+
				"without quote or backslash: %q", c, description)
			return
		}
	}
}

// wantNoChallenge checks that a response carries no WWW-Authenticate.
func wantNoChallenge(t testing.TB, r jsonResponse) {
	t.Helper()
	if got := r.resp.Header.Values("WWW-Authenticate"); len(got) != 0 {
		t.Errorf("got WWW-Authenticate %q, want none", got)
	}
}

// codeExchange returns the token request form that redeems a code of the
// development client.
func codeExchange(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {server.DevRedirectURIs[0]}}
}

// userTokens runs an authorization of the development client and returns the
// exchange response.
func (e *env) userTokens() jsonResponse {
	e.t.Helper()
	return e.exchange(e.code(url.Values{}))
}

// refreshOK refreshes and fails the test unless a new pair is returned.
func (e *env) refreshOK(refreshToken string) jsonResponse {
	e.t.Helper()
	r := e.refresh(refreshToken)
	wantStatus(e.t, r, http.StatusOK)
	if str(r.body["refresh_token"]) == "" {
		e.t.Fatalf("refresh returned no refresh_token: %s", r.raw)
	}
	return r
}

// jwtSegment decodes one base64url segment of a compact JWS as a JSON object.
func jwtSegment(t testing.TB, token string, index int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("got %d JWS segments, want 3: %q", len(parts), token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[index])
	if err != nil {
		t.Fatalf("decode JWS segment %d: %v", index, err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("parse JWS segment %d: %v", index, err)
	}
	return v
}

// accessTokenRecord returns the server's record of an access token, looked
// up by its jti, to see revocations that the HTTP surface does not show.
func (e *env) accessTokenRecord(token string) consentry.AccessToken {
	e.t.Helper()
	jti := str(jwtSegment(e.t, token, 1)["jti"])
	record, err := e.store.GetAccessToken(context.Background(), jti)
	if err != nil {
		e.t.Fatalf("get access token %s: %v", jti, err)
	}
	return record
}

// wantAccessRevoked checks whether the server has revoked an access token.
func (e *env) wantAccessRevoked(token string, revoked bool) {
	e.t.Helper()
	got := e.accessTokenRecord(token).RevokedAt != nil
	if got != revoked {
		e.t.Errorf("got access token revoked %v, want %v", got, revoked)
	}
}

// jwksKeyIDs returns the kid of every key in the published key set.
func (e *env) jwksKeyIDs() []string {
	e.t.Helper()
	r := e.bearer(http.MethodGet, "/.well-known/jwks.json", "")
	wantStatus(e.t, r, http.StatusOK)
	keys, _ := r.body["keys"].([]any)
	var ids []string
	for _, k := range keys {
		key, _ := k.(map[string]any)
		ids = append(ids, str(key["kid"]))
	}
	return ids
}

// metricValue returns the value of an unlabelled counter from /metrics.
func (e *env) metricValue(name string) float64 {
	e.t.Helper()
	resp, err := http.Get(e.issuer + "/metrics")
	if err != nil {
		e.t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	scanner := bufio.NewScanner(resp.Body)
	for scanner.Scan() {
		value, ok := strings.CutPrefix(scanner.Text(), name+" ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			e.t.Fatalf("parse metric %s %q: %v", name, value, err)
		}
		return f
	}
	e.t.Fatalf("metric %s not found", name)
	return 0
}

// rawRefresh refreshes with the development client without touching the
// test, so that goroutines may call it. It returns the status and body.
func rawRefresh(client *http.Client, issuer, refreshToken string) (int, map[string]any, error) {
	return rawTokenPost(client, issuer, refreshForm(refreshToken, "").Encode())
}

// rawTokenPost posts a form to the token endpoint as the development client
// without touching the test, so that goroutines may call it.
func rawTokenPost(client *http.Client, issuer, form string) (int, map[string]any, error) {
	req, err := http.NewRequest(http.MethodPost, issuer+tokenPath, strings.NewReader(form))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", devBasic)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("decode %q: %w", raw, err)
	}
	return resp.StatusCode, body, nil
}

// secondClient registers another confidential client of provider 1000 with
// the grant types (default authorization_code and refresh_token) and every
// scope, and returns its id and secret.
func (e *env) secondClient(grants ...string) (string, string) {
	e.t.Helper()
	if grants == nil {
		grants = []string{consentry.GrantAuthorizationCode, consentry.GrantRefreshToken}
	}
	id := "second-" + tokens.NewID()
	secret := e.createClient(consentry.Client{ID: id, GrantTypes: grants,
		Scopes: append(append([]string{}, consentry.UserDataScopes...), consentry.ScopeClientAdmin)})
	return id, secret
}

// secondClientRedirect is the redirect URI that createClient registers.
const secondClientRedirect = "https://app.example/callback"

// tokensOf authorizes the demo user for another client and redeems the code
// with Basic authentication.
func (e *env) tokensOf(id, secret string) jsonResponse {
	e.t.Helper()
	query := e.authorize(e.authorizeParams(url.Values{
		"client_id": {id}, "redirect_uri": {secondClientRedirect},
	}))
	r := e.post(tokenPath, url.Values{"grant_type": {"authorization_code"},
		"code": {query.Get("code")}, "redirect_uri": {secondClientRedirect}}, id, secret)
	wantStatus(e.t, r, http.StatusOK)
	return r
}

// forgedToken builds a compact JWS from a header and claims, signed by sign.
// A nil sign leaves the signature empty.
func forgedToken(t testing.TB, header, claims map[string]any, sign func([]byte) []byte) string {
	t.Helper()
	encode := func(v any) string {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encode JWS segment: %v", err)
		}
		return base64.RawURLEncoding.EncodeToString(raw)
	}
	input := encode(header) + "." + encode(claims)
	var signature []byte
	if sign != nil {
		signature = sign([]byte(input))
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(signature)
}

// foreignES256 returns a signer with a new P-256 key that the server has
// never seen. It produces the fixed-size R||S signature of RFC 7518 §3.4.
func foreignES256(t testing.TB) func([]byte) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return func(input []byte) []byte {
		digest := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
		if err != nil {
			t.Fatalf("sign: %v", err)
		}
		signature := make([]byte, 64)
		r.FillBytes(signature[:32])
		s.FillBytes(signature[32:])
		return signature
	}
}

// pkcePair returns a new code_verifier and its S256 code_challenge
// (RFC 7636 §4.2).
func pkcePair() (string, string) {
	verifier := tokens.NewSecret()
	digest := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(digest[:])
}

// refreshForm returns a refresh request form, with a scope when not empty.
func refreshForm(refreshToken, scope string) url.Values {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return form
}
