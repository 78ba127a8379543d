package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
)

// maxBodyBytes bounds the body of every POST the server reads.
const maxBodyBytes = 64 << 10

// bodyParamNames are the parameters of the token, revocation and
// introspection endpoints. A JSON key that matches one of them only when
// case and surrounding spaces are ignored is rejected: encoding/json would
// accept it, and a client that sends it believes it sent the parameter.
var bodyParamNames = []string{
	"grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope",
	"client_id", "client_secret", "token", "token_type_hint",
}

// readBodyParams reads the parameters of a token, revocation or
// introspection request. They come from the body only, each at most once, as
// an application/x-www-form-urlencoded body (RFC 6749 §3.2) or a JSON object
// of string values. The query string must be empty, because parameters there
// end up in logs and browser histories (RFC 6749 §3.2, RFC 9700 §4.3).
func readBodyParams(r *http.Request) (map[string]string, *oauth.Error) {
	if r.URL.RawQuery != "" {
		return nil, oauth.ErrQueryParams
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, oauth.ErrContentType
	}
	body, e := readBody(r)
	if e != nil {
		return nil, e
	}
	switch strings.ToLower(mediaType) {
	case "application/x-www-form-urlencoded":
		return parseFormBody(body)
	case "application/json":
		return parseJSONBody(body)
	default:
		return nil, oauth.ErrContentType
	}
}

func readBody(r *http.Request) ([]byte, *oauth.Error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, oauth.ErrBodyInvalid.WithCause(err)
	}
	if len(body) > maxBodyBytes {
		return nil, oauth.ErrBodyTooLarge
	}
	return body, nil
}

func parseFormBody(body []byte) (map[string]string, *oauth.Error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, oauth.ErrBodyInvalid.WithCause(err)
	}
	params := make(map[string]string, len(values))
	for name, v := range values {
		if len(v) != 1 {
			return nil, oauth.ErrBodyRepeated
		}
		params[name] = v[0]
	}
	return params, nil
}

// parseJSONBody reads a flat JSON object of strings token by token, because
// encoding/json would silently accept repeated keys (keeping the last) and
// keys in another letter case.
func parseJSONBody(body []byte) (map[string]string, *oauth.Error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, oauth.ErrBodyInvalid.WithCause(errors.New("body is not a JSON object"))
	}
	params := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, oauth.ErrBodyInvalid.WithCause(err)
		}
		key := tok.(string)
		if _, seen := params[key]; seen {
			return nil, oauth.ErrBodyRepeated
		}
		if !isExactParamName(key) {
			return nil, oauth.ErrJSONKey
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, oauth.ErrBodyInvalid.WithCause(err)
		}
		value, ok := tok.(string)
		if !ok {
			return nil, oauth.ErrJSONValue
		}
		params[key] = value
	}
	if _, err := dec.Token(); err != nil {
		return nil, oauth.ErrBodyInvalid.WithCause(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, oauth.ErrBodyInvalid.WithCause(errors.New("data after the JSON object"))
	}
	return params, nil
}

// isExactParamName reports false for a key that is a parameter name only
// when letter case and surrounding spaces are ignored. Other unknown keys
// are ignored like unknown form parameters (RFC 6749 §3.2).
func isExactParamName(key string) bool {
	folded := strings.TrimSpace(key)
	for _, name := range bodyParamNames {
		if strings.EqualFold(folded, name) {
			return key == name
		}
	}
	return true
}

// clientCredentials returns the client credentials of a request: HTTP Basic
// with form-encoded id and secret (RFC 6749 §2.3.1), or client_id and
// client_secret in the body, or client_id alone for a public client. It
// reports whether the request used Basic, for the WWW-Authenticate
// challenge.
func clientCredentials(r *http.Request, params map[string]string) (oauth.Credentials, bool, *oauth.Error) {
	// A second header is rejected, not skipped: a field that is not a list
	// may appear only once (RFC 9110), and proxies differ in which copy they
	// pass on.
	if len(r.Header.Values("Authorization")) > 1 {
		return oauth.Credentials{}, false, oauth.ErrBasicMalformed
	}
	header := r.Header.Get("Authorization")
	bodyID, hasBodyID := params["client_id"]
	bodySecret, hasBodySecret := params["client_secret"]
	if header == "" {
		switch {
		case hasBodySecret && bodyID != "":
			return oauth.Credentials{ClientID: bodyID, Secret: bodySecret, Method: consentry.AuthMethodPost}, false, nil
		case hasBodySecret:
			return oauth.Credentials{}, false, oauth.ErrNoCredentials
		case bodyID != "":
			return oauth.Credentials{ClientID: bodyID, Method: consentry.AuthMethodNone}, false, nil
		}
		return oauth.Credentials{}, false, oauth.ErrNoCredentials
	}

	id, secret, e := parseBasic(header)
	if e != nil {
		return oauth.Credentials{}, true, e
	}
	if hasBodySecret {
		return oauth.Credentials{}, true, oauth.ErrTwoAuthMethods
	}
	if hasBodyID && bodyID != id {
		return oauth.Credentials{}, true, oauth.ErrClientIDMismatch
	}
	return oauth.Credentials{ClientID: id, Secret: secret, Method: consentry.AuthMethodBasic}, true, nil
}

// parseBasic decodes an Authorization: Basic header. Unlike
// http.Request.BasicAuth it form-decodes the id and the secret, as RFC 6749
// §2.3.1 requires.
func parseBasic(header string) (string, string, *oauth.Error) {
	scheme, encoded, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", oauth.ErrBasicMalformed
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return "", "", oauth.ErrBasicMalformed.WithCause(err)
	}
	rawID, rawSecret, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return "", "", oauth.ErrBasicMalformed
	}
	id, err := url.QueryUnescape(rawID)
	if err != nil || id == "" {
		return "", "", oauth.ErrBasicMalformed
	}
	secret, err := url.QueryUnescape(rawSecret)
	if err != nil {
		return "", "", oauth.ErrBasicMalformed
	}
	return id, secret, nil
}

// bearerToken returns the token of an Authorization: Bearer header
// (RFC 6750 §2.1). A missing header is invalid_request; any other header
// that does not hold a token is invalid_token.
func bearerToken(r *http.Request) (string, *oauth.Error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return "", oauth.ErrBearerMissing
	}
	if len(values) > 1 {
		return "", oauth.ErrBearerInvalid
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || !isB64Token(token) {
		return "", oauth.ErrBearerInvalid
	}
	return token, nil
}

// isB64Token reports whether s matches the b64token syntax of RFC 6750 §2.1.
func isB64Token(s string) bool {
	if s == "" {
		return false
	}
	trimmed := strings.TrimRight(s, "=")
	for _, r := range trimmed {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("-._~+/", r)) {
			return false
		}
	}
	return trimmed != ""
}
