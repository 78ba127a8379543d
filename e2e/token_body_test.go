package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/consentry/consentry/server"
)

const (
	formType = "application/x-www-form-urlencoded"
	jsonType = "application/json"
	// ccForm is a client-credentials request body.
	ccForm = "grant_type=client_credentials"
	ccJSON = `{"grant_type":"client_credentials"}`
)

// paddedForm returns a client-credentials form body of exactly size bytes.
func paddedForm(size int) string {
	prefix := ccForm + "&padding="
	return prefix + strings.Repeat("a", size-len(prefix))
}

func TestTokenBodyAccepted(t *testing.T) {
	e := newEnv(t)
	bodyCredentials := `{"grant_type":"client_credentials","client_id":"demo-recipient",` +
		`"client_secret":"demo-secret"}`
	tests := []struct {
		name string
		req  tokenRequest
	}{
		{"form", tokenRequest{contentType: formType, body: ccForm}},
		{"form upper case", tokenRequest{contentType: "APPLICATION/X-WWW-FORM-URLENCODED", body: ccForm}},
		{"form mixed case", tokenRequest{contentType: "Application/X-Www-Form-Urlencoded", body: ccForm}},
		{"form with charset", tokenRequest{contentType: formType + "; charset=UTF-8", body: ccForm}},
		{"form charset no space", tokenRequest{contentType: formType + ";charset=utf-8", body: ccForm}},
		{"form upper case charset", tokenRequest{contentType: "APPLICATION/X-WWW-FORM-URLENCODED; CHARSET=UTF-8",
			body: ccForm}},
		{"form of 64 KiB", tokenRequest{contentType: formType, body: paddedForm(64 << 10)}},
		{"json", tokenRequest{contentType: jsonType, body: ccJSON}},
		{"json upper case", tokenRequest{contentType: "Application/JSON", body: ccJSON}},
		{"json with charset", tokenRequest{contentType: jsonType + "; charset=utf-8", body: ccJSON}},
		{"json with whitespace", tokenRequest{contentType: jsonType, body: " {\n \"grant_type\" : \"client_credentials\" }\n"}},
		{"json unknown key ignored", tokenRequest{contentType: jsonType,
			body: `{"grant_type":"client_credentials","extra":"x"}`}},
		{"json body credentials", tokenRequest{contentType: jsonType, body: bodyCredentials}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.req.authorization == "" && !strings.Contains(tt.req.body, "client_secret") {
				tt.req.authorization = devBasic
			}
			r := tt.req.send(e)
			if r.resp.StatusCode != http.StatusOK {
				t.Fatalf("got status %d, want 200; body %s", r.resp.StatusCode, r.raw)
			}
			if got := str(r.body["scope"]); got != "client:admin" {
				t.Errorf("got scope %q, want client:admin", got)
			}
			wantTokenHeaders(t, r)
		})
	}
}

func TestTokenBodyRejected(t *testing.T) {
	e := newEnv(t)
	multipart := "--XYZ\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\n" +
		"client_credentials\r\n--XYZ--\r\n"
	tests := []struct {
		name string
		req  tokenRequest
	}{
		{"json key title case", tokenRequest{contentType: jsonType, body: `{"Grant_Type":"client_credentials"}`}},
		{"json key upper case", tokenRequest{contentType: jsonType, body: `{"GRANT_TYPE":"client_credentials"}`}},
		{"json key trailing space", tokenRequest{contentType: jsonType, body: `{"grant_type ":"client_credentials"}`}},
		{"json key leading space", tokenRequest{contentType: jsonType, body: `{" grant_type":"client_credentials"}`}},
		{"json key tab", tokenRequest{contentType: jsonType, body: `{"grant_type\t":"client_credentials"}`}},
		{"json credential key case", tokenRequest{contentType: jsonType, body: `{"grant_type":"client_credentials",` +
			`"Client_Id":"demo-recipient","client_secret":"demo-secret"}`}},
		{"json number", tokenRequest{contentType: jsonType, body: `{"grant_type":1}`}},
		{"json null", tokenRequest{contentType: jsonType, body: `{"grant_type":null}`}},
		{"json object", tokenRequest{contentType: jsonType, body: `{"grant_type":{"v":"client_credentials"}}`}},
		{"json array", tokenRequest{contentType: jsonType, body: `{"grant_type":["client_credentials"]}`}},
		{"json boolean", tokenRequest{contentType: jsonType, body: `{"grant_type":true}`}},
		{"json number under unknown key", tokenRequest{contentType: jsonType,
			body: `{"grant_type":"client_credentials","extra":1}`}},
		{"json repeated key", tokenRequest{contentType: jsonType,
			body: `{"grant_type":"client_credentials","grant_type":"client_credentials"}`}},
		{"json repeated key escaped", tokenRequest{contentType: jsonType,
			body: `{"grant_type":"client_credentials","grant\u005ftype":"refresh_token"}`}},
		{"json top-level array", tokenRequest{contentType: jsonType, body: `[{"grant_type":"client_credentials"}]`}},
		{"json top-level string", tokenRequest{contentType: jsonType, body: `"grant_type"`}},
		{"json truncated", tokenRequest{contentType: jsonType, body: `{"grant_type":"client_credentials"`}},
		{"json trailing object", tokenRequest{contentType: jsonType, body: ccJSON + ccJSON}},
		{"json empty body", tokenRequest{contentType: jsonType}},
		{"form repeated key", tokenRequest{contentType: formType, body: ccForm + "&" + ccForm}},
		{"form repeated empty key", tokenRequest{contentType: formType, body: ccForm + "&scope=&scope="}},
		{"form bad escape", tokenRequest{contentType: formType, body: "grant_type=%zz"}},
		{"form semicolon", tokenRequest{contentType: formType, body: ccForm + ";scope=client:admin"}},
		{"query grant", tokenRequest{contentType: formType, query: ccForm, body: ccForm}},
		{"query secret", tokenRequest{contentType: formType, query: "client_secret=demo-secret", body: ccForm}},
		{"query unknown", tokenRequest{contentType: formType, query: "x=1", body: ccForm}},
		{"multipart", tokenRequest{contentType: "multipart/form-data; boundary=XYZ", body: multipart}},
		{"body of 64 KiB plus one", tokenRequest{contentType: formType, body: paddedForm(64<<10 + 1)}},
		{"body of 1 MiB", tokenRequest{contentType: formType, body: paddedForm(1 << 20)}},
		{"no content type", tokenRequest{body: ccForm}},
		{"text plain", tokenRequest{contentType: "text/plain", body: ccForm}},
		{"form type prefix", tokenRequest{contentType: formType + "x", body: ccForm}},
		{"malformed content type", tokenRequest{contentType: "application/json; charset", body: ccJSON}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.authorization = devBasic
			r := tt.req.send(e)
			wantOAuthError(t, r, http.StatusBadRequest, "invalid_request")
		})
	}
}

// TestTokenJSONEndToEnd redeems a code and refreshes with JSON bodies, once
// with Basic and once with the credentials in the body.
func TestTokenJSONEndToEnd(t *testing.T) {
	e := newEnv(t)
	code := e.code(url.Values{})
	r := tokenRequest{contentType: jsonType, authorization: devBasic,
		body: `{"grant_type":"authorization_code","code":"` + code +
			`","redirect_uri":"` + server.DevRedirectURIs[0] + `"}`}.send(e)
	wantStatus(t, r, http.StatusOK)
	refreshToken := str(r.body["refresh_token"])
	if refreshToken == "" {
		t.Fatalf("got no refresh_token, want one: %s", r.raw)
	}

	r = tokenRequest{contentType: jsonType,
		body: `{"grant_type":"refresh_token","refresh_token":"` + refreshToken +
			`","client_id":"demo-recipient","client_secret":"demo-secret"}`}.send(e)
	wantStatus(t, r, http.StatusOK)
	if got := str(r.body["scope"]); got != "ACCOUNT_BASIC TRANSACTIONS" {
		t.Errorf("got scope %q, want ACCOUNT_BASIC TRANSACTIONS", got)
	}
	if str(r.body["refresh_token"]) == refreshToken {
		t.Error("got the same refresh_token, want a rotated one")
	}
}

// TestTokenJSONKeyCaseNotApplied checks that a JSON key differing in case
// is rejected rather than silently read, which would let a refresh_token
// sent as Refresh_Token reach the grant.
func TestTokenJSONKeyCaseNotApplied(t *testing.T) {
	e := newEnv(t)
	refreshToken := str(e.userTokens().body["refresh_token"])
	r := tokenRequest{contentType: jsonType, authorization: devBasic,
		body: `{"grant_type":"refresh_token","Refresh_Token":"` + refreshToken + `"}`}.send(e)
	wantOAuthError(t, r, http.StatusBadRequest, "invalid_request")
	e.refreshOK(refreshToken)
}
