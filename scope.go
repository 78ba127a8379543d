package consentry

import (
	"slices"
	"strings"
)

// User-data scopes: what an end user can let a client read.
const (
	ScopeAccountBasic     = "ACCOUNT_BASIC"
	ScopeAccountDetailed  = "ACCOUNT_DETAILED"
	ScopeAccountPayments  = "ACCOUNT_PAYMENTS"
	ScopeInvestments      = "INVESTMENTS"
	ScopeTransactions     = "TRANSACTIONS"
	ScopeStatements       = "STATEMENTS"
	ScopeCustomerContact  = "CUSTOMER_CONTACT"
	ScopeCustomerPersonal = "CUSTOMER_PERSONAL"
)

// ScopeClientAdmin is the management scope of client-credentials tokens.
const ScopeClientAdmin = "client:admin"

// UserDataScopes lists the user-data scopes in the order the consent page
// shows them.
var UserDataScopes = []string{
	ScopeAccountBasic,
	ScopeAccountDetailed,
	ScopeAccountPayments,
	ScopeInvestments,
	ScopeTransactions,
	ScopeStatements,
	ScopeCustomerContact,
	ScopeCustomerPersonal,
}

// ManagementScopes lists the scopes that only client-credentials tokens carry.
var ManagementScopes = []string{ScopeClientAdmin}

// IsUserDataScope reports whether s is a user-data scope.
func IsUserDataScope(s string) bool {
	return slices.Contains(UserDataScopes, s)
}

// IsManagementScope reports whether s is a management scope.
func IsManagementScope(s string) bool {
	return slices.Contains(ManagementScopes, s)
}

// IsKnownScope reports whether s is in the scope catalogue.
func IsKnownScope(s string) bool {
	return IsUserDataScope(s) || IsManagementScope(s)
}

// ParseScope splits a scope parameter into its scope tokens. Tokens are
// separated by one or more spaces (RFC 6749 §3.3); repeated tokens are kept
// once, in their first position.
func ParseScope(s string) []string {
	var scopes []string
	seen := map[string]bool{}
	for _, token := range strings.Split(s, " ") {
		if token != "" && !seen[token] {
			seen[token] = true
			scopes = append(scopes, token)
		}
	}
	return scopes
}

// FormatScope joins scopes into a scope parameter.
func FormatScope(scopes []string) string {
	return strings.Join(scopes, " ")
}

// ContainsAll reports whether every scope in subset is in set.
func ContainsAll(set, subset []string) bool {
	for _, s := range subset {
		if !slices.Contains(set, s) {
			return false
		}
	}
	return true
}
