package oauth_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/consentry/consentry/oauth"
)

// documentedCodes are the error codes a client may receive: RFC 6749
// §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1, written out here rather
// than taken from the package's constants so that a misspelt constant fails.
var documentedCodes = map[string]int{
	"access_denied":             http.StatusBadRequest,
	"invalid_request":           http.StatusBadRequest,
	"invalid_client":            http.StatusBadRequest,
	"invalid_grant":             http.StatusBadRequest,
	"invalid_scope":             http.StatusBadRequest,
	"unauthorized_client":       http.StatusBadRequest,
	"unsupported_grant_type":    http.StatusBadRequest,
	"unsupported_response_type": http.StatusBadRequest,
	"unsupported_token_type":    http.StatusBadRequest,
	"invalid_token":             http.StatusUnauthorized,
	"insufficient_scope":        http.StatusForbidden,
	"server_error":              http.StatusInternalServerError,
	"temporarily_unavailable":   http.StatusServiceUnavailable,
}

// documentedReasons are the values of the error_reason extension.
var documentedReasons = []string{"user_denied", "signin_cancelled", "session_expired", "upstream_denied"}

func TestCatalogueListsKnownErrors(t *testing.T) {
	catalogue := oauth.Catalogue()
	for _, want := range []*oauth.Error{oauth.ErrClientIDMissing, oauth.ErrCSRF, oauth.ErrDecision,
		oauth.ErrUserDenied, oauth.ErrServer, oauth.ErrUnavailable, oauth.ErrBearerInvalid} {
		if !slices.Contains(catalogue, want) {
			t.Errorf("catalogue lacks %q", want.Description)
		}
	}
	if len(catalogue) < 60 {
		t.Errorf("got %d errors in the catalogue, want at least 60", len(catalogue))
	}
}

func TestCatalogueDescriptions(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range oauth.Catalogue() {
		t.Run(e.Description, func(t *testing.T) {
			d := e.Description
			if d == "" {
				t.Fatal("got an empty description, want one sentence")
			}
			for i := 0; i < len(d); i++ {
				c := d[i]
				if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
					t.Errorf("got byte %#x at %d, want printable ASCII without '\"' and '\\' "+
						"(RFC 6749 §5.2)", c, i)
				}
			}
			if first := d[0]; first < 'A' || first > 'Z' {
				t.Errorf("got first character %q, want a capital letter", first)
			}
			if !strings.HasSuffix(d, ".") {
				t.Error("got no final period, want one sentence")
			}
			for _, end := range []string{". ", "! ", "? "} {
				if strings.Contains(d, end) {
					t.Errorf("got %q inside, want one sentence", end)
				}
			}
			if strings.Contains(d, "  ") || strings.TrimSpace(d) != d {
				t.Error("got doubled or edge spaces, want single spaces")
			}
			if seen[d] {
				t.Error("got the description twice, want it once, so that clients and " +
					"errors.Is can tell the entries apart")
			}
			seen[d] = true
		})
	}
}

func TestCatalogueCodes(t *testing.T) {
	for _, e := range oauth.Catalogue() {
		status, known := documentedCodes[e.Code]
		if !known {
			t.Errorf("%q: got code %q, want a documented code", e.Description, e.Code)
			continue
		}
		if e.Status != status {
			t.Errorf("%q: got status %d, want %d for %s", e.Description, e.Status, status, e.Code)
		}
		switch {
		case e.Code == "access_denied" && !slices.Contains(documentedReasons, e.Reason):
			t.Errorf("%q: got error_reason %q, want one of %v", e.Description, e.Reason, documentedReasons)
		case e.Code != "access_denied" && e.Reason != "":
			t.Errorf("%q: got error_reason %q on %s, want none", e.Description, e.Reason, e.Code)
		}
	}
}

// TestCatalogueCopiesNotListed checks that WithCause keeps the text and
// leaves the catalogue unchanged, since a cause is for the log only.
func TestCatalogueCopiesNotListed(t *testing.T) {
	before := len(oauth.Catalogue())
	c := oauth.ErrServer.WithCause(http.ErrHandlerTimeout)
	if c.Description != oauth.ErrServer.Description || c.Code != oauth.ErrServer.Code {
		t.Errorf("got %s %q, want %s %q", c.Code, c.Description, oauth.ErrServer.Code, oauth.ErrServer.Description)
	}
	if after := len(oauth.Catalogue()); after != before {
		t.Errorf("got %d catalogue entries after WithCause, want %d", after, before)
	}
}
