package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The fuzz targets below feed arbitrary client input to the parsers of the
// token, revocation and bearer endpoints. Each must return a 400-class OAuth
// error or a result that satisfies its contract, and never panic.

func FuzzReadBodyParams(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials&scope=client%3Aadmin", "")
	f.Add("application/x-www-form-urlencoded; charset=UTF-8", "a=1&a=2", "")
	f.Add("APPLICATION/JSON", `{"grant_type":"refresh_token","refresh_token":"x"}`, "")
	f.Add("application/json", `{"Grant_Type":"x"}`, "")
	f.Add("application/json", `{"a":1,"a":"2"}`, "")
	f.Add("application/json", `{"a":"b"} trailing`, "")
	f.Add("multipart/form-data; boundary=x", "--x--", "")
	f.Add("application/x-www-form-urlencoded", "code=%zz", "client_id=x")
	f.Fuzz(func(t *testing.T, contentType, body, query string) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/token", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", contentType)
		params, e := readBodyParams(r)
		if e != nil {
			if e.Status != http.StatusBadRequest {
				t.Fatalf("got status %d, want 400 for %q", e.Status, body)
			}
			return
		}
		if r.URL.RawQuery != "" {
			t.Fatalf("accepted parameters in the query string %q", r.URL.RawQuery)
		}
		for name := range params {
			if !isExactParamName(name) {
				t.Fatalf("accepted key %q that only folds to a parameter name", name)
			}
		}
	})
}

func FuzzParseJSONBody(f *testing.F) {
	f.Add([]byte(`{"token":"abc","token_type_hint":"refresh_token"}`))
	f.Add([]byte(`{"token":null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"token":"a","token":"b"}`))
	f.Add([]byte(`{"client_id":{"x":"y"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		params, e := parseJSONBody(body)
		if e != nil {
			return
		}
		// Whatever the strict parser accepts, encoding/json reads the same way.
		var std map[string]string
		if err := json.Unmarshal(body, &std); err != nil {
			t.Fatalf("accepted %q, which encoding/json rejects: %v", body, err)
		}
		if len(std) != len(params) {
			t.Fatalf("got %d parameters, encoding/json got %d from %q", len(params), len(std), body)
		}
		for name, value := range params {
			if std[name] != value {
				t.Fatalf("parameter %q: got %q, encoding/json got %q", name, value, std[name])
			}
		}
	})
}

func FuzzParseBasic(f *testing.F) {
	f.Add("Basic " + base64.StdEncoding.EncodeToString([]byte("demo-recipient:demo-secret")))
	f.Add("basic " + base64.StdEncoding.EncodeToString([]byte("a%2Bb:c+d%3A")))
	f.Add("Basic !!!")
	f.Add("Basic " + base64.StdEncoding.EncodeToString([]byte("no-colon")))
	f.Add("Bearer abc")
	f.Fuzz(func(t *testing.T, header string) {
		id, _, e := parseBasic(header)
		if e != nil {
			if e.Status != http.StatusBadRequest {
				t.Fatalf("got status %d, want 400", e.Status)
			}
			return
		}
		if id == "" {
			t.Fatalf("accepted an empty client id from %q", header)
		}
	})
}

func FuzzBearerToken(f *testing.F) {
	f.Add("Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig")
	f.Add("bearer abc==")
	f.Add("Bearer ")
	f.Add("Bearer a b")
	f.Add("Basic abc")
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/providers", nil)
		r.Header.Set("Authorization", header)
		token, e := bearerToken(r)
		if e != nil {
			if e.Status != http.StatusBadRequest && e.Status != http.StatusUnauthorized {
				t.Fatalf("got status %d, want 400 or 401", e.Status)
			}
			return
		}
		if token == "" || !isB64Token(token) {
			t.Fatalf("accepted token %q from %q", token, header)
		}
	})
}

func FuzzAcceptLanguage(f *testing.F) {
	f.Add("fr-CA,fr;q=0.9,en;q=0.8")
	f.Add("en;q=0, fr;q=abc")
	f.Fuzz(func(t *testing.T, header string) {
		switch lang := acceptLanguage(header); lang {
		case "", "en", "fr":
		default:
			t.Fatalf("got language %q, want en, fr or none", lang)
		}
	})
}
