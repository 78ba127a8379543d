package oauth

import "github.com/consentry/consentry"

// maxScopeLength bounds the scope parameter. The whole catalogue fits in
// under 150 characters. consentry.ParseScope removes repeats in time
// quadratic in the number of tokens, so a longer value is rejected unparsed.
// Measured on a 2-core test machine, a 60 KiB scope took 0.2 to 0.3 s of CPU.
const maxScopeLength = 1024

// parseScope splits a scope parameter (RFC 6749 §3.3) of at most
// maxScopeLength bytes.
func parseScope(raw string) ([]string, *Error) {
	if len(raw) > maxScopeLength {
		return nil, ErrScopeTooLong
	}
	return consentry.ParseScope(raw), nil
}
