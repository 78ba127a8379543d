package consentry

import (
	"context"
	"errors"
	"time"
)

// Errors that every Store returns, possibly wrapped; compare with errors.Is.
var (
	// ErrNotFound means the record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a record with the same key exists already, or a
	// conditional update found the record no longer in the expected state
	// (a code already redeemed, a refresh token already used, a pending
	// request already finished).
	ErrConflict = errors.New("conflict")
	// ErrUnavailable means the storage could not be reached, or kept
	// rejecting a write as conflicting after every retry. Callers respond
	// with temporarily_unavailable.
	ErrUnavailable = errors.New("storage unavailable")
	// ErrKeyRevoked means an access token could not be stored because its
	// signing key (AccessToken.KeyID) has been revoked; nothing else of the
	// call was stored either. The caller signs again with a current key.
	ErrKeyRevoked = errors.New("signing key revoked")
)

// Store is the storage contract. Every rule that must hold across server
// replicas (single-use codes, one winner per refresh token, revocation) is
// enforced inside these methods by the database, never by process memory.
//
// Times are stored with millisecond precision. Methods that take a now
// argument use it for every time comparison and timestamp they write, so that
// tests can control the clock.
type Store interface {
	// Ping checks that the storage is reachable.
	Ping(ctx context.Context) error
	// Close releases the storage's resources.
	Close() error

	// CreateClient stores a new client; ErrConflict if the id is taken.
	CreateClient(ctx context.Context, c Client) error
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients returns every client ordered by id.
	ListClients(ctx context.Context) ([]Client, error)
	// DeleteClient removes the client with its connections, codes and tokens.
	DeleteClient(ctx context.Context, id string) error
	// UpdateClientSecret replaces the client's secret hash.
	UpdateClientSecret(ctx context.Context, id string, secretHash []byte) error

	// CreateProvider stores a new provider; ErrConflict if the id is taken.
	CreateProvider(ctx context.Context, p Provider) error
	GetProvider(ctx context.Context, id string) (Provider, error)
	// ListProviders returns every provider ordered by id.
	ListProviders(ctx context.Context) ([]Provider, error)

	// CreateSandboxUser stores a sandbox user; ErrConflict if the provider
	// has a user with that name, ErrNotFound if the provider does not exist.
	CreateSandboxUser(ctx context.Context, u SandboxUser) error
	GetSandboxUser(ctx context.Context, providerID, username string) (SandboxUser, error)

	// CreateAuthRequest stores a pending authorization request.
	CreateAuthRequest(ctx context.Context, r AuthRequest) error
	// GetAuthRequest returns a pending request in any stage, expired ones
	// included until they are deleted.
	GetAuthRequest(ctx context.Context, id string) (AuthRequest, error)
	// CompleteSignIn moves a request from StageSignIn to StageConsent, records
	// the signed-in user and rebinds the request to a new session. It returns
	// ErrConflict unless the request is in StageSignIn, bound to sessionHash
	// and not expired at now.
	CompleteSignIn(ctx context.Context, id string, sessionHash []byte, userID string,
		newSessionHash []byte, now time.Time) error
	// FinishAuthRequest moves a request from stage to StageDone. It returns
	// ErrConflict unless the request is in that stage and bound to sessionHash.
	// Expiry is not checked, so that an expired request can still be redirected
	// with session_expired exactly once.
	FinishAuthRequest(ctx context.Context, id string, sessionHash []byte, stage AuthStage) error
	// ApproveAuthRequest records an approved consent in one transaction: it
	// finishes the request (which must be in StageConsent, bound to
	// a.SessionHash and unexpired at a.Now, else ErrConflict), creates the
	// connection or, when the client already has an active connection for
	// that user at that provider, gives it the new scopes and grant id, and
	// stores the code. It returns the stored connection.
	ApproveAuthRequest(ctx context.Context, a Approval) (Connection, error)

	// RedeemCode marks the code used. It returns the code and nil for the
	// first redemption, the code and ErrConflict when it was used before, and
	// ErrNotFound for an unknown code. Expiry is checked by the caller.
	RedeemCode(ctx context.Context, hash []byte, now time.Time) (AuthCode, error)
	// IssueCodeTokens stores the first refresh token and access token of a
	// redeemed code's grant in one transaction. It returns ErrConflict if the
	// connection was revoked or its grant is no longer rt.GrantID; then
	// nothing is stored.
	IssueCodeTokens(ctx context.Context, rt RefreshToken, at AccessToken) error

	// GetRefreshToken returns the token with the connection it belongs to.
	GetRefreshToken(ctx context.Context, hash []byte) (RefreshToken, Connection, error)
	// RotateRefreshToken marks the token at oldHash used and stores next and
	// at, in one transaction. It returns ErrConflict, storing nothing, unless
	// the old token is unused, unrevoked, and of its connection's current
	// grant, and the connection is active: of concurrent calls with one token
	// exactly one succeeds.
	RotateRefreshToken(ctx context.Context, oldHash []byte, now time.Time,
		next RefreshToken, at AccessToken) error
	// GetSuccessor returns the newest refresh token whose ParentHash is
	// parentHash, or ErrNotFound.
	GetSuccessor(ctx context.Context, parentHash []byte) (RefreshToken, error)
	// ReplaceSuccessor serves a retry within the refresh grace: in one
	// transaction it revokes the successor token and the access token issued
	// with it, and stores next and at. It returns ErrConflict, storing
	// nothing, unless the successor is still unused and unrevoked and the
	// connection is active with the successor's grant.
	ReplaceSuccessor(ctx context.Context, successorHash []byte, now time.Time,
		next RefreshToken, at AccessToken) error

	// CreateAccessToken records an access token issued without a refresh token
	// (client credentials).
	CreateAccessToken(ctx context.Context, at AccessToken) error
	// GetAccessToken returns the record of the token with the jti. Its
	// RevokedAt is set when the token, its connection or its signing key was
	// revoked, so that one read informs every replica at once.
	GetAccessToken(ctx context.Context, id string) (AccessToken, error)
	// RevokeAccessToken revokes one access token; revoking a revoked token
	// succeeds.
	RevokeAccessToken(ctx context.Context, id string, now time.Time) error

	GetConnection(ctx context.Context, id string) (Connection, error)
	// ListConnections returns the connections of one client, or of every
	// client when clientID is empty, newest first.
	ListConnections(ctx context.Context, clientID string) ([]Connection, error)
	// RevokeConnection revokes the connection with its refresh and access
	// tokens. Revoking a revoked connection succeeds and keeps the first
	// revocation time.
	RevokeConnection(ctx context.Context, id string, now time.Time) error

	// RecordLoginFailure stores a failed sign-in for key (a user or a remote
	// address) and returns how many failures key has since since.
	RecordLoginFailure(ctx context.Context, key string, at, since time.Time) (int, error)
	// ClearLoginFailures deletes the recorded failures of key.
	ClearLoginFailures(ctx context.Context, key string) error
	// LockLogin rejects sign-ins for key until the given time.
	LockLogin(ctx context.Context, key string, until time.Time) error
	// LoginLockedUntil returns when the lock of key ends, or the zero time if
	// key was never locked.
	LoginLockedUntil(ctx context.Context, key string) (time.Time, error)

	// EnsureSecret returns the secret stored under name. When there is none it
	// stores value first; of concurrent callers one value wins and all of them
	// get it.
	EnsureSecret(ctx context.Context, name string, value []byte) ([]byte, error)

	// CreateFirstSigningKey stores k only if there is no unrevoked signing
	// key, and reports whether it did; of concurrent callers at most one does.
	CreateFirstSigningKey(ctx context.Context, k SigningKey) (bool, error)
	// CreateSigningKey stores another signing key.
	CreateSigningKey(ctx context.Context, k SigningKey) error
	// ListSigningKeys returns every signing key, oldest first.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// RetireSigningKey sets RetiredAt of the key unless it is set already.
	RetireSigningKey(ctx context.Context, id string, now time.Time) error
	// RevokeSigningKey sets RevokedAt of the key unless it is set already.
	RevokeSigningKey(ctx context.Context, id string, now time.Time) error

	// AcquireLease makes holder the holder of the named lease until the given
	// time, if the lease is free (never taken, or expired at now) or held by
	// holder already, and reports whether it did. Replicas use it so that
	// one of them at a time runs background work.
	AcquireLease(ctx context.Context, name, holder string, until, now time.Time) (bool, error)

	// DeleteExpired deletes at most limit rows of each kind whose expiry is
	// more than keep before now: codes, pending requests, access tokens,
	// refresh tokens, login locks, and login failures recorded more than keep
	// before now. Keeping rows past their expiry lets a replayed code or a
	// late pending request still be recognised. It returns how many rows it
	// deleted.
	DeleteExpired(ctx context.Context, now time.Time, keep time.Duration, limit int) (int, error)
}

// Approval is an approved consent, stored by Store.ApproveAuthRequest.
type Approval struct {
	AuthRequestID string
	SessionHash   []byte
	Now           time.Time
	// Connection is the connection to create when the client has no active
	// connection for the user at the provider. Its GrantID and Scopes are also
	// given to an existing connection.
	Connection Connection
	// Code is stored with the ConnectionID of the stored connection.
	Code AuthCode
}
