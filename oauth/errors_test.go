package oauth_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/consentry/consentry/oauth"
)

func TestErrorIsMatchesCopies(t *testing.T) {
	copied := oauth.ErrBearerInvalid.WithCause(errors.New("signature mismatch"))
	wrapped := fmt.Errorf("verify: %w", copied)
	if !errors.Is(wrapped, oauth.ErrBearerInvalid) {
		t.Error("errors.Is(copy with cause, ErrBearerInvalid) = false, want true")
	}
	if errors.Is(wrapped, oauth.ErrBearerScope) {
		t.Error("errors.Is(copy of ErrBearerInvalid, ErrBearerScope) = true, want false")
	}
}

func TestAsErrorHidesCause(t *testing.T) {
	e := oauth.AsError(errors.New("sqlite: no such table: clients"))
	if e.Code != oauth.CodeServerError {
		t.Errorf("got code %q, want server_error", e.Code)
	}
	if e.Description != oauth.ErrServer.Description {
		t.Errorf("got description %q, want the catalogue's", e.Description)
	}
}
