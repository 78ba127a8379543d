package e2e_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"

	"github.com/consentry/consentry/server"
)

// FuzzAuthorizeQuery sends arbitrary query strings to the authorization
// endpoint of one running server. Whatever the input, the answer is a page
// or a redirect to a registered redirect URI of the client, never a 5xx.
func FuzzAuthorizeQuery(f *testing.F) {
	e := newEnv(f)
	f.Add("response_type=code&client_id=demo-recipient&redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Fcallback&scope=ACCOUNT_BASIC&state=s&provider_id=1000")
	f.Add("client_id=demo-recipient&redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Fcallback&state=s&state=t")
	f.Add("client_id=demo-recipient&redirect_uri=http%3A%2F%2Fevil.example%2Fcallback")
	f.Add("client_id=%zz&redirect_uri=;")
	f.Add("client_id=demo-recipient&redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Fcallback&response_type=code&scope=ACCOUNT_BASIC++TRANSACTIONS&state=%22%3E%3Cscript%3E&provider_id=1000&code_challenge=x&code_challenge_method=plain")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	f.Fuzz(func(t *testing.T, query string) {
		req, err := http.NewRequest(http.MethodGet, e.issuer+"/api/v1/authorize", nil)
		if err != nil {
			t.Skip()
		}
		req.URL.RawQuery = query
		resp, err := client.Do(req)
		if err != nil {
			t.Skip()
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK, http.StatusBadRequest:
		case http.StatusFound:
			location := resp.Header.Get("Location")
			if !hasRegisteredPrefix(location) {
				t.Fatalf("redirected to %q, which is not a registered redirect URI", location)
			}
		default:
			t.Fatalf("got status %d for query %q", resp.StatusCode, query)
		}
	})
}

func hasRegisteredPrefix(location string) bool {
	for _, uri := range server.DevRedirectURIs {
		if strings.HasPrefix(location, uri+"?") {
			return true
		}
	}
	return false
}

// FuzzTokenRequest sends arbitrary bodies to the token endpoint as the
// development client. The answer is a token or a 400-class JSON error whose
// description uses only the characters RFC 6749 §5.2 allows.
func FuzzTokenRequest(f *testing.F) {
	e := newEnv(f)
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials")
	f.Add("application/json", `{"grant_type":"refresh_token","refresh_token":"\u0000"}`)
	f.Add("application/json", `{"grant_type":"authorization_code","code":"x","redirect_uri":"y","code_verifier":"z"}`)
	f.Add("text/plain", "grant_type=client_credentials")
	f.Add("application/x-www-form-urlencoded", "grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Fcallback")
	f.Fuzz(func(t *testing.T, contentType, body string) {
		req, err := http.NewRequest(http.MethodPost, e.issuer+"/api/v1/token", strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		if !httpguts.ValidHeaderFieldValue(contentType) {
			t.Skip("no client can send this header value")
		}
		req.Header.Set("Content-Type", contentType)
		req.SetBasicAuth(server.DevClientID, server.DevClientSecret)
		run := *e
		run.t = t
		r := run.do(req)
		switch r.resp.StatusCode {
		case http.StatusOK:
			return
		case http.StatusBadRequest, http.StatusUnauthorized:
		default:
			t.Fatalf("got status %d for %q body %q", r.resp.StatusCode, contentType, body)
		}
		description := str(r.body["error_description"])
		for _, c := range description {
			if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				t.Fatalf("error_description %q has character %q", description, c)
			}
		}
	})
}
