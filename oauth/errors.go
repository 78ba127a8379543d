package oauth

import (
	"errors"
	"net/http"
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

func newError(code, description string) *Error {
	return &Error{Code: code, Description: description, Status: statusOf(code)}
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
