package oauth

// The catalogue of every error a client can receive. Each description is one
// plain sentence that states what was wrong and what to do, written in printable
// ASCII without '"' or '\' (RFC 6749 §5.2), and never built from request input.
var (
	// Authorization request errors.
	ErrQueryInvalid         = newError(CodeInvalidRequest, "The query string is malformed; encode the parameters as application/x-www-form-urlencoded.")
	ErrClientIDMissing      = newError(CodeInvalidRequest, "The client_id parameter is missing or repeated; send it exactly once.")
	ErrClientUnknown        = newError(CodeInvalidRequest, "The client_id is not a registered client; check the value you were issued.")
	ErrRedirectURIMissing   = newError(CodeInvalidRequest, "The redirect_uri parameter is missing or repeated; send it exactly once.")
	ErrRedirectURIUnknown   = newError(CodeInvalidRequest, "The redirect_uri is not registered for this client; send one of its registered URIs exactly.")
	ErrParamRepeated        = newError(CodeInvalidRequest, "A request parameter was sent more than once; send each parameter once.")
	ErrResponseTypeMissing  = newError(CodeInvalidRequest, "The response_type parameter is missing; send response_type=code.")
	ErrResponseType         = newError(CodeUnsupportedResponseType, "Only the response_type code is supported; send response_type=code.")
	ErrCodeGrantNotAllowed  = newError(CodeUnauthorizedClient, "This client is not registered for the authorization_code grant.")
	ErrStateMissing         = newError(CodeInvalidRequest, "The state parameter is missing; send an unguessable state value.")
	ErrStateTooLong         = newError(CodeInvalidRequest, "The state parameter is longer than 2048 characters; send a shorter value.")
	ErrScopeMissing         = newError(CodeInvalidScope, "The scope parameter is missing; request ACCOUNT_BASIC and any other user-data scopes.")
	ErrScopeUnknown         = newError(CodeInvalidScope, "The scope contains an unknown scope; use only scopes from the published list.")
	ErrScopeTooLong         = newError(CodeInvalidScope, "The scope parameter is longer than 1024 characters; request each scope once.")
	ErrScopeNotAllowed      = newError(CodeInvalidScope, "The scope contains a scope this client is not registered for.")
	ErrScopeNoBasic         = newError(CodeInvalidScope, "The scope must include ACCOUNT_BASIC; add it to the request.")
	ErrScopeManagement      = newError(CodeInvalidScope, "Management scopes cannot be granted by an end user; request user-data scopes only.")
	ErrScopeNotOffered      = newError(CodeInvalidScope, "The data provider does not offer one of the requested scopes; remove it from the request.")
	ErrProviderMissing      = newError(CodeInvalidRequest, "The provider_id parameter is missing; send the id of a data provider.")
	ErrProviderUnknown      = newError(CodeInvalidRequest, "The provider_id is not a known data provider; list providers to find a valid id.")
	ErrProviderNotAllowed   = newError(CodeUnauthorizedClient, "This client is not registered with the requested data provider.")
	ErrProviderSuspended    = newError(CodeTemporarilyUnavailable, "The data provider is suspended; try again later.")
	ErrPKCERequired         = newError(CodeInvalidRequest, "This client must use PKCE; send code_challenge with code_challenge_method=S256.")
	ErrPKCEMethodMissing    = newError(CodeInvalidRequest, "The code_challenge_method parameter is missing; send code_challenge_method=S256.")
	ErrPKCEMethod           = newError(CodeInvalidRequest, "Only the S256 code_challenge_method is supported; send code_challenge_method=S256.")
	ErrPKCEChallenge        = newError(CodeInvalidRequest, "The code_challenge is malformed; send the base64url SHA-256 of the code_verifier, 43 characters.")
	ErrPKCEChallengeMissing = newError(CodeInvalidRequest, "The code_challenge parameter is missing; send it with code_challenge_method.")

	// Outcomes of the sign-in and consent pages.
	ErrUserDenied      = deniedError(ReasonUserDenied, "The end user denied the authorization request.")
	ErrSignInCancelled = deniedError(ReasonSignInCancelled, "The end user cancelled the sign-in at the data provider.")
	ErrSessionExpired  = deniedError(ReasonSessionExpired, "The authorization request expired before the end user finished; start a new one.")
	ErrUpstreamDenied  = deniedError(ReasonUpstreamDenied, "The data provider refused the authorization request.")
	ErrSignInBusy      = newError(CodeTemporarilyUnavailable, "The data provider is handling too many sign-ins; try again in a few seconds.")

	// Token endpoint request errors.
	ErrBodyInvalid        = newError(CodeInvalidRequest, "The request body is malformed; send an application/x-www-form-urlencoded body.")
	ErrBodyTooLarge       = newError(CodeInvalidRequest, "The request body is larger than 64 KiB.")
	ErrContentType        = newError(CodeInvalidRequest, "The content type is not supported; send application/x-www-form-urlencoded or application/json.")
	ErrQueryParams        = newError(CodeInvalidRequest, "Parameters must be sent in the request body, not in the query string.")
	ErrBodyRepeated       = newError(CodeInvalidRequest, "A body parameter was sent more than once; send each parameter once.")
	ErrJSONValue          = newError(CodeInvalidRequest, "Every value in a JSON body must be a string.")
	ErrJSONKey            = newError(CodeInvalidRequest, "The JSON body contains a key that is not a parameter name; use exact lower-case parameter names.")
	ErrGrantTypeMissing   = newError(CodeInvalidRequest, "The grant_type parameter is missing.")
	ErrGrantTypeUnknown   = newError(CodeUnsupportedGrantType, "The grant_type is not supported; use authorization_code, refresh_token or client_credentials.")
	ErrGrantNotAllowed    = newError(CodeUnauthorizedClient, "This client is not registered for the requested grant type.")
	ErrCodeMissing        = newError(CodeInvalidRequest, "The code parameter is missing.")
	ErrTokenRedirectURI   = newError(CodeInvalidRequest, "The redirect_uri parameter is missing; send the redirect_uri of the authorization request.")
	ErrRefreshMissing     = newError(CodeInvalidRequest, "The refresh_token parameter is missing.")
	ErrTokenParamMissing  = newError(CodeInvalidRequest, "The token parameter is missing.")
	ErrTokenTypeHint      = newError(CodeUnsupportedTokenType, "The token_type_hint is not supported; use access_token or refresh_token.")
	ErrCodeVerifierFormat = newError(CodeInvalidGrant, "The code_verifier is malformed; send 43 to 128 characters of A-Z, a-z, 0-9 and -._~.")

	// Client authentication errors.
	ErrNoCredentials    = newError(CodeInvalidRequest, "No client credentials were sent; authenticate with HTTP Basic or client_id and client_secret in the body.")
	ErrTwoAuthMethods   = newError(CodeInvalidRequest, "The client authenticated with more than one method; use either HTTP Basic or the body.")
	ErrBasicMalformed   = newError(CodeInvalidRequest, "The Authorization header is malformed; send Basic with the form-encoded client_id and client_secret.")
	ErrClientIDMismatch = newError(CodeInvalidRequest, "The client_id in the body differs from the one in the Authorization header.")
	ErrClientAuth       = newError(CodeInvalidClient, "Client authentication failed; check the client_id, the client_secret and the authentication method.")

	// Grant errors.
	ErrCodeInvalid        = newError(CodeInvalidGrant, "The authorization code is invalid, expired, already used or issued to another client; start a new authorization.")
	ErrRedirectMismatch   = newError(CodeInvalidGrant, "The redirect_uri differs from the one in the authorization request; send it exactly as before.")
	ErrVerifierMismatch   = newError(CodeInvalidGrant, "The code_verifier does not match the code_challenge of the authorization request.")
	ErrVerifierMissing    = newError(CodeInvalidGrant, "The code was issued with a code_challenge; send its code_verifier.")
	ErrVerifierUnexpected = newError(CodeInvalidGrant, "The code was issued without a code_challenge; send no code_verifier.")
	ErrRefreshInvalid     = newError(CodeInvalidGrant, "The refresh token is invalid, revoked, already used or issued to another client; start a new authorization.")
	ErrRefreshExpired     = newError(CodeInvalidGrant, "The refresh token has expired; start a new authorization.")
	ErrScopeBroader       = newError(CodeInvalidScope, "The requested scope is broader than the scope granted; request the granted scopes or fewer.")
	ErrClientScopeNone    = newError(CodeInvalidScope, "This client has no management scope to request with client_credentials.")
	ErrClientScopeUser    = newError(CodeInvalidScope, "User-data scopes cannot be requested with client_credentials; request management scopes only.")

	// Bearer token errors (RFC 6750 §3.1).
	ErrBearerMissing  = newError(CodeInvalidRequest, "The Authorization header is missing; send Authorization: Bearer with an access token.")
	ErrBearerInvalid  = newError(CodeInvalidToken, "The access token is malformed, expired, revoked or was not issued by this server.")
	ErrBearerScope    = newError(CodeInsufficientScope, "The access token lacks the scope this endpoint requires; use a client_credentials token.")
	ErrProviderFilter = newError(CodeInvalidRequest, "A filter value is invalid; use country CA, US or CA,US and isEnabledForClient true or false.")

	// Server errors.
	ErrServer      = newError(CodeServerError, "The server failed to process the request; try again later and quote the request id if it persists.")
	ErrUnavailable = newError(CodeTemporarilyUnavailable, "The service is temporarily unavailable; try again in a few seconds.")
)

func deniedError(reason, description string) *Error {
	e := newError(CodeAccessDenied, description)
	e.Reason = reason
	return e
}
