package oauth

import (
	"context"
	"errors"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/tokens"
)

// Credentials are the client credentials of a token, revocation or
// introspection request, as parsed from the HTTP request.
type Credentials struct {
	ClientID string
	// Secret is empty for a public client.
	Secret string
	// Method is the authentication method the request used:
	// consentry.AuthMethodBasic, consentry.AuthMethodPost or
	// consentry.AuthMethodNone.
	Method string
}

// ErrClientNotFound is the cause of the invalid_client error for an unknown
// client_id. Callers compare with errors.Is to keep such an id out of their
// logs: it may be a secret pasted into the wrong field.
var ErrClientNotFound = errors.New("unknown client")

// AuthenticateClient checks the credentials. An unknown client, a wrong
// secret and a method the client is not registered for all get the same
// invalid_client error, so that the response does not reveal which client ids
// exist. An unknown client still costs a digest comparison, for the same
// reason.
func (s *Server) AuthenticateClient(ctx context.Context, creds Credentials) (consentry.Client, error) {
	client, err := s.store.GetClient(ctx, creds.ClientID)
	if errors.Is(err, consentry.ErrNotFound) {
		tokens.SecretMatches(unknownClientHash, creds.Secret)
		return consentry.Client{}, ErrClientAuth.WithCause(ErrClientNotFound)
	}
	if err != nil {
		return consentry.Client{}, StoreError(err)
	}
	if !client.AllowsAuthMethod(creds.Method) {
		return consentry.Client{}, ErrClientAuth.WithCause(errors.New("authentication method not registered"))
	}
	if creds.Method == consentry.AuthMethodNone {
		// A public client proves nothing here; PKCE binds its codes instead.
		if !client.Public() {
			return consentry.Client{}, ErrClientAuth.WithCause(errors.New("confidential client without secret"))
		}
		return client, nil
	}
	if !tokens.SecretMatches(client.SecretHash, creds.Secret) {
		return consentry.Client{}, ErrClientAuth.WithCause(errors.New("wrong client secret"))
	}
	return client, nil
}

// unknownClientHash is compared against when the client does not exist, so
// that an unknown client costs as much as a wrong secret.
var unknownClientHash = tokens.Hash("consentry-unknown-client")
