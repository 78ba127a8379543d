package oauth

import (
	"errors"
	"net/http"
	"slices"
)

// Error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1 and RFC 7009 §2.2.1.
const (
	CodeAccessDenied            = "access_denied"
	CodeInvalidRequest          = "invalid_request"
	CodeInvalidClient           = "invalid_client"
	CodeInvalidGrant            = "invalid_grant"
	CodeInvalidScope            = "invalid_scope"
	CodeUnauthorizedClient      = "unauthorized_client"
	CodeUnsupportedGrantType    = "unsupported_grant_type"
	CodeUnsupportedResponseType = "unsupported_response_type"
	CodeUnsupportedTokenType    = "unsupported_token_type"
	CodeInvalidToken            = "invalid_token"
	CodeInsufficientScope       = "insufficient_scope"
	CodeServerError             = "server_error"
	CodeTemporarilyUnavailable  = "temporarily_unavailable"
)

// Values of the error_reason extension that an access_denied redirect carries.
const (
	ReasonUserDenied      = "user_denied"
	ReasonSignInCancelled = "signin_cancelled"
	ReasonSessionExpired  = "session_expired"
	ReasonUpstreamDenied  = "upstream_denied"
)

// Error is an OAuth error as the client sees it, with the cause kept for logs.
// Description always comes from the catalogue below and never contains request
// input, so it is safe to send and uses only the characters that RFC 6749
// §5.2 allows in error_description.
type Error struct {
	Code        string
	Description string
	// Reason is the error_reason of an access_denied redirect.
	Reason string
	// Status is the HTTP status of a JSON error response.
	Status int
	// Cause is the internal error behind a server_error or a rejected
	// request, for the log only.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Description + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Description
}

func (e *Error) Unwrap() error {
	return e.Cause
}

// Is reports whether target is the same catalogue entry, so that errors.Is
// matches a copy made by WithCause against the entry it was made from.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Description == e.Description
}

// WithCause returns a copy of e that records cause for the log.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

// AsError returns err as an *Error. Anything that is not one becomes
// server_error, with err kept as the cause.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrServer.WithCause(err)
}

// catalogue collects every error that newError makes. newError is only
// called in package-level declarations, which run once and in one goroutine
// before main, so appending needs no lock.
var catalogue []*Error

// Catalogue returns every error a client can receive, in declaration order.
// Copies made by WithCause are not listed: they share the original's code
// and description.
func Catalogue() []*Error {
	return slices.Clone(catalogue)
}

func newError(code, description string) *Error {
	e := &Error{Code: code, Description: description, Status: statusOf(code)}
	catalogue = append(catalogue, e)
	return e
}

func statusOf(code string) int {
	switch code {
	case CodeInvalidToken:
		return http.StatusUnauthorized
	case CodeInsufficientScope:
		return http.StatusForbidden
	case CodeServerError:
		return http.StatusInternalServerError
	case CodeTemporarilyUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}
