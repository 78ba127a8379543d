package sqlstore

import (
	"context"
	"time"

	"github.com/consentry/consentry"
)

const authRequestColumns = `id, session_hash, client_id, redirect_uri, state, scopes,
	provider_id, code_challenge, code_challenge_method, correlation_id, locale, stage,
	user_id, created_at, expires_at`

// CreateAuthRequest stores a pending authorization request. It returns
// consentry.ErrConflict if the id is taken and consentry.ErrNotFound if the
// client or the provider does not exist.
func (s *Store) CreateAuthRequest(ctx context.Context, r consentry.AuthRequest) error {
	_, err := s.conn().exec(ctx, `INSERT INTO auth_requests (`+authRequestColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.SessionHash, r.ClientID, r.RedirectURI, r.State, encodeList(r.Scopes),
		r.ProviderID, r.CodeChallenge, r.CodeChallengeMethod, r.CorrelationID, r.Locale,
		string(r.Stage), r.UserID, millis(r.CreatedAt), millis(r.ExpiresAt))
	return s.wrap("create auth request", err)
}

// GetAuthRequest returns the request in any stage, expired or not, or
// consentry.ErrNotFound once it has been deleted.
func (s *Store) GetAuthRequest(ctx context.Context, id string) (consentry.AuthRequest, error) {
	var r consentry.AuthRequest
	err := s.conn().queryRow(ctx,
		`SELECT `+authRequestColumns+` FROM auth_requests WHERE id = ?`, id).
		Scan(&r.ID, &r.SessionHash, &r.ClientID, &r.RedirectURI, &r.State,
			listColumn{&r.Scopes}, &r.ProviderID, &r.CodeChallenge, &r.CodeChallengeMethod,
			&r.CorrelationID, &r.Locale, &r.Stage, &r.UserID,
			timeColumn{&r.CreatedAt}, timeColumn{&r.ExpiresAt})
	if err != nil {
		return consentry.AuthRequest{}, s.wrap("get auth request", err)
	}
	return r, nil
}

// CompleteSignIn moves the request from StageSignIn to StageConsent, records
// the user and binds the request to newSessionHash. It returns
// consentry.ErrConflict unless the request is in StageSignIn, bound to
// sessionHash and unexpired at now, and consentry.ErrNotFound for an unknown
// request.
func (s *Store) CompleteSignIn(ctx context.Context, id string, sessionHash []byte,
	userID string, newSessionHash []byte, now time.Time) error {
	c := s.conn()
	n, err := c.execCount(ctx, `UPDATE auth_requests
		SET stage = ?, user_id = ?, session_hash = ?
		WHERE id = ? AND stage = ? AND session_hash = ? AND expires_at > ?`,
		string(consentry.StageConsent), userID, newSessionHash,
		id, string(consentry.StageSignIn), sessionHash, millis(now))
	if err == nil && n == 0 {
		err = conflictOrMissing(ctx, c, `SELECT 1 FROM auth_requests WHERE id = ?`, id)
	}
	return s.wrap("complete sign-in", err)
}

// FinishAuthRequest moves the request from stage to StageDone without
// checking its expiry. It returns consentry.ErrConflict unless the request is
// in stage, stage is not StageDone, and the request is bound to sessionHash.
func (s *Store) FinishAuthRequest(ctx context.Context, id string, sessionHash []byte,
	stage consentry.AuthStage) error {
	c := s.conn()
	n, err := c.execCount(ctx, `UPDATE auth_requests SET stage = ?
		WHERE id = ? AND stage = ? AND stage <> ? AND session_hash = ?`,
		string(consentry.StageDone), id, string(stage), string(consentry.StageDone),
		sessionHash)
	if err == nil && n == 0 {
		err = conflictOrMissing(ctx, c, `SELECT 1 FROM auth_requests WHERE id = ?`, id)
	}
	return s.wrap("finish auth request", err)
}

// ApproveAuthRequest finishes the request, creates or updates the connection
// and stores the code, in one transaction. An existing active connection of
// the client, provider and user keeps its id and subject and takes the new
// scopes and grant id. The refresh tokens of its earlier grant are revoked.
func (s *Store) ApproveAuthRequest(ctx context.Context, a consentry.Approval) (
	consentry.Connection, error) {
	var stored consentry.Connection
	err := s.inTx(ctx, func(tx conn) error {
		n, err := tx.execCount(ctx, `UPDATE auth_requests SET stage = ?
			WHERE id = ? AND stage = ? AND session_hash = ? AND expires_at > ?`,
			string(consentry.StageDone), a.AuthRequestID, string(consentry.StageConsent),
			a.SessionHash, millis(a.Now))
		if err != nil {
			return err
		}
		if n == 0 {
			return conflictOrMissing(ctx, tx,
				`SELECT 1 FROM auth_requests WHERE id = ?`, a.AuthRequestID)
		}
		stored, err = upsertConnection(ctx, tx, a.Connection, a.Now)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE refresh_tokens SET revoked_at = ?
			WHERE connection_id = ? AND revoked_at IS NULL`, millis(a.Now), stored.ID)
		if err != nil {
			return err
		}
		code := a.Code
		code.ConnectionID = stored.ID
		return insertCode(ctx, tx, code)
	})
	if err != nil {
		return consentry.Connection{}, s.wrap("approve auth request", err)
	}
	return stored, nil
}

// upsertConnection inserts c, or, when the client already has an active
// connection for the user at the provider, gives that one c's scopes and
// grant id. The partial unique index on active connections makes this one
// atomic statement, so concurrent approvals cannot create two connections.
func upsertConnection(ctx context.Context, tx conn, c consentry.Connection, now time.Time) (
	consentry.Connection, error) {
	created, updated := c.CreatedAt, c.UpdatedAt
	if created.IsZero() {
		created = now
	}
	if updated.IsZero() {
		updated = now
	}
	return scanConnection(tx.queryRow(ctx, `INSERT INTO connections
		(id, client_id, provider_id, user_id, subject, scopes, grant_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_id, provider_id, user_id) WHERE revoked_at IS NULL
		DO UPDATE SET scopes = excluded.scopes, grant_id = excluded.grant_id, updated_at = ?
		RETURNING `+connectionColumns,
		c.ID, c.ClientID, c.ProviderID, c.UserID, c.Subject, encodeList(c.Scopes), c.GrantID,
		millis(created), millis(updated), millis(now)))
}
