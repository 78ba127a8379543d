package web

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
)

func basicOf(raw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(raw))
}

// wantCatalogueError checks that a parser returned the catalogue error want.
func wantCatalogueError(t *testing.T, got, want *oauth.Error) {
	t.Helper()
	if got == nil {
		t.Fatalf("got no error, want %v", want)
	}
	if !errors.Is(got, want) {
		t.Errorf("got error %v, want %v", got, want)
	}
}

func TestParseBasic(t *testing.T) {
	tests := []struct {
		name       string
		header     string
		wantID     string
		wantSecret string
		wantErr    *oauth.Error
	}{
		{"plain", basicOf("client:secret"), "client", "secret", nil},
		{"plus is a space", basicOf("a+b:c+d"), "a b", "c d", nil},
		{"percent-encoded plus", basicOf("a%2Bb:c%2Bd"), "a+b", "c+d", nil},
		{"percent-encoded percent", basicOf("a%25b:c%25d"), "a%b", "c%d", nil},
		{"percent-encoded colon in id", basicOf("a%3Ab:secret"), "a:b", "secret", nil},
		{"raw colon in secret", basicOf("id:a:b"), "id", "a:b", nil},
		{"utf-8", basicOf("%C3%A9:%E2%82%AC"), "\u00e9", "\u20ac", nil},
		{"empty secret", basicOf("id:"), "id", "", nil},
		{"lower-case scheme", "basic " + base64.StdEncoding.EncodeToString([]byte("a:b")), "a", "b", nil},
		{"extra spaces", "Basic   " + base64.StdEncoding.EncodeToString([]byte("a:b")) + " ", "a", "b", nil},
		{"empty id", basicOf(":secret"), "", "", oauth.ErrBasicMalformed},
		{"no colon", basicOf("client"), "", "", oauth.ErrBasicMalformed},
		{"bad escape in id", basicOf("a%zz:b"), "", "", oauth.ErrBasicMalformed},
		{"bad escape in secret", basicOf("a:b%2"), "", "", oauth.ErrBasicMalformed},
		{"not base64", "Basic !!!", "", "", oauth.ErrBasicMalformed},
		{"unpadded base64", "Basic " + base64.RawStdEncoding.EncodeToString([]byte("a:bc")), "", "",
			oauth.ErrBasicMalformed},
		{"scheme only", "Basic", "", "", oauth.ErrBasicMalformed},
		{"bearer scheme", "Bearer abc", "", "", oauth.ErrBasicMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, secret, e := parseBasic(tt.header)
			if tt.wantErr != nil {
				wantCatalogueError(t, e, tt.wantErr)
				return
			}
			if e != nil {
				t.Fatalf("got error %v, want none", e)
			}
			if id != tt.wantID {
				t.Errorf("got id %q, want %q", id, tt.wantID)
			}
			if secret != tt.wantSecret {
				t.Errorf("got secret %q, want %q", secret, tt.wantSecret)
			}
		})
	}
}

func TestClientCredentials(t *testing.T) {
	tests := []struct {
		name      string
		header    string
		params    map[string]string
		want      oauth.Credentials
		wantBasic bool
		wantErr   *oauth.Error
	}{
		{"basic", basicOf("id:secret"), nil,
			oauth.Credentials{ClientID: "id", Secret: "secret", Method: consentry.AuthMethodBasic}, true, nil},
		{"basic with same body id", basicOf("id:secret"), map[string]string{"client_id": "id"},
			oauth.Credentials{ClientID: "id", Secret: "secret", Method: consentry.AuthMethodBasic}, true, nil},
		{"body", "", map[string]string{"client_id": "id", "client_secret": "secret"},
			oauth.Credentials{ClientID: "id", Secret: "secret", Method: consentry.AuthMethodPost}, false, nil},
		{"body empty secret", "", map[string]string{"client_id": "id", "client_secret": ""},
			oauth.Credentials{ClientID: "id", Method: consentry.AuthMethodPost}, false, nil},
		{"public", "", map[string]string{"client_id": "id"},
			oauth.Credentials{ClientID: "id", Method: consentry.AuthMethodNone}, false, nil},
		{"nothing", "", nil, oauth.Credentials{}, false, oauth.ErrNoCredentials},
		{"empty body id", "", map[string]string{"client_id": ""}, oauth.Credentials{}, false,
			oauth.ErrNoCredentials},
		{"secret without id", "", map[string]string{"client_secret": "secret"}, oauth.Credentials{}, false,
			oauth.ErrNoCredentials},
		{"basic and body secret", basicOf("id:secret"), map[string]string{"client_secret": "secret"},
			oauth.Credentials{}, true, oauth.ErrTwoAuthMethods},
		{"basic and other body id", basicOf("id:secret"), map[string]string{"client_id": "other"},
			oauth.Credentials{}, true, oauth.ErrClientIDMismatch},
		{"malformed basic", "Basic !!!", nil, oauth.Credentials{}, true, oauth.ErrBasicMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/token", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			params := tt.params
			if params == nil {
				params = map[string]string{}
			}
			got, usedBasic, e := clientCredentials(r, params)
			if usedBasic != tt.wantBasic {
				t.Errorf("got usedBasic %v, want %v", usedBasic, tt.wantBasic)
			}
			if tt.wantErr != nil {
				wantCatalogueError(t, e, tt.wantErr)
				return
			}
			if e != nil {
				t.Fatalf("got error %v, want none", e)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    string
		wantErr *oauth.Error
	}{
		{"plain", []string{"Bearer abc.def-_~+/"}, "abc.def-_~+/", nil},
		{"lower-case scheme", []string{"bearer abc"}, "abc", nil},
		{"padding", []string{"Bearer abc=="}, "abc==", nil},
		{"surrounding spaces", []string{"Bearer   abc  "}, "abc", nil},
		{"missing", nil, "", oauth.ErrBearerMissing},
		{"two headers", []string{"Bearer abc", "Bearer def"}, "", oauth.ErrBearerInvalid},
		{"empty header", []string{""}, "", oauth.ErrBearerInvalid},
		{"scheme only", []string{"Bearer"}, "", oauth.ErrBearerInvalid},
		{"scheme and space", []string{"Bearer "}, "", oauth.ErrBearerInvalid},
		{"two words", []string{"Bearer abc def"}, "", oauth.ErrBearerInvalid},
		{"padding only", []string{"Bearer =="}, "", oauth.ErrBearerInvalid},
		{"inner equals", []string{"Bearer a=b"}, "", oauth.ErrBearerInvalid},
		{"non-ascii", []string{"Bearer \u00e9"}, "", oauth.ErrBearerInvalid},
		{"basic scheme", []string{basicOf("a:b")}, "", oauth.ErrBearerInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodDelete, "/api/v1/revoke", nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			got, e := bearerToken(r)
			if tt.wantErr != nil {
				wantCatalogueError(t, e, tt.wantErr)
				return
			}
			if e != nil {
				t.Fatalf("got error %v, want none", e)
			}
			if got != tt.want {
				t.Errorf("got token %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadBodyParams(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		query       string
		want        map[string]string
		wantErr     *oauth.Error
	}{
		{"form", "application/x-www-form-urlencoded", "a=1&scope=x+y", "",
			map[string]string{"a": "1", "scope": "x y"}, nil},
		{"json", "application/json", `{"token":"t","other":"o"}`, "",
			map[string]string{"token": "t", "other": "o"}, nil},
		{"empty form", "application/x-www-form-urlencoded", "", "", map[string]string{}, nil},
		{"empty json object", "application/json", `{}`, "", map[string]string{}, nil},
		{"query", "application/x-www-form-urlencoded", "a=1", "a=1", nil, oauth.ErrQueryParams},
		{"no content type", "", "a=1", "", nil, oauth.ErrContentType},
		{"multipart", "multipart/form-data; boundary=x", "--x--", "", nil, oauth.ErrContentType},
		{"too large", "application/x-www-form-urlencoded", "a=" + strings.Repeat("b", maxBodyBytes-1), "",
			nil, oauth.ErrBodyTooLarge},
		{"repeated form key", "application/x-www-form-urlencoded", "a=1&a=1", "", nil, oauth.ErrBodyRepeated},
		{"repeated json key", "application/json", `{"a":"1","a":"1"}`, "", nil, oauth.ErrBodyRepeated},
		{"json key case", "application/json", `{"Token":"t"}`, "", nil, oauth.ErrJSONKey},
		{"json key space", "application/json", `{"token ":"t"}`, "", nil, oauth.ErrJSONKey},
		{"json key folded long s", "application/json", `{"ſcope":"x"}`, "", nil, oauth.ErrJSONKey},
		{"json number", "application/json", `{"token":1}`, "", nil, oauth.ErrJSONValue},
		{"json null", "application/json", `{"token":null}`, "", nil, oauth.ErrJSONValue},
		{"json nested", "application/json", `{"x":{"token":"t"}}`, "", nil, oauth.ErrJSONValue},
		{"json not object", "application/json", `["token"]`, "", nil, oauth.ErrBodyInvalid},
		{"json trailing data", "application/json", `{} {}`, "", nil, oauth.ErrBodyInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/token", strings.NewReader(tt.body))
			r.URL.RawQuery = tt.query
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			got, e := readBodyParams(r)
			if tt.wantErr != nil {
				wantCatalogueError(t, e, tt.wantErr)
				return
			}
			if e != nil {
				t.Fatalf("got error %v, want none", e)
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d parameters %v, want %v", len(got), got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("got %s=%q, want %q", k, got[k], v)
				}
			}
		})
	}
}
