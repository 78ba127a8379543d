-- Times are unix milliseconds, lists are JSON arrays, digests are SHA-256.

CREATE TABLE clients (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    secret_hash      BLOB,
    auth_methods     TEXT NOT NULL,
    redirect_uris    TEXT NOT NULL,
    grant_types      TEXT NOT NULL,
    scopes           TEXT NOT NULL,
    require_pkce     BOOLEAN NOT NULL,
    refresh_grace_ms BIGINT,
    created_at       BIGINT NOT NULL
);

CREATE TABLE providers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    country    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    disabled   BOOLEAN NOT NULL,
    upstream   BLOB,
    created_at BIGINT NOT NULL
);

CREATE TABLE client_providers (
    client_id   TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (client_id, provider_id)
);
CREATE INDEX client_providers_provider ON client_providers (provider_id);

CREATE TABLE sandbox_users (
    provider_id   TEXT NOT NULL REFERENCES providers (id),
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (provider_id, username)
);

CREATE TABLE auth_requests (
    id                    TEXT PRIMARY KEY,
    session_hash          BLOB NOT NULL,
    client_id             TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    redirect_uri          TEXT NOT NULL,
    state                 TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    provider_id           TEXT NOT NULL REFERENCES providers (id),
    code_challenge        TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL,
    correlation_id        TEXT NOT NULL,
    locale                TEXT NOT NULL,
    stage                 TEXT NOT NULL,
    user_id               TEXT NOT NULL,
    created_at            BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL
);
CREATE INDEX auth_requests_client ON auth_requests (client_id);
CREATE INDEX auth_requests_expires_at ON auth_requests (expires_at);

CREATE TABLE connections (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    user_id     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    grant_id    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
-- One active connection per client, provider and user.
CREATE UNIQUE INDEX connections_active ON connections (client_id, provider_id, user_id)
    WHERE revoked_at IS NULL;
CREATE INDEX connections_client_created ON connections (client_id, created_at, id);
CREATE INDEX connections_created ON connections (created_at, id);

CREATE TABLE auth_codes (
    hash                  BLOB NOT NULL PRIMARY KEY,
    client_id             TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    redirect_uri          TEXT NOT NULL,
    connection_id         TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    grant_id              TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    code_challenge        TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL,
    correlation_id        TEXT NOT NULL,
    created_at            BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL,
    used_at               BIGINT
);
CREATE INDEX auth_codes_connection ON auth_codes (connection_id);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

-- id orders successors created in the same millisecond.
CREATE TABLE refresh_tokens (
    id              INTEGER PRIMARY KEY,
    hash            BLOB NOT NULL UNIQUE,
    connection_id   TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    grant_id        TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    parent_hash     BLOB,
    access_token_id TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT,
    revoked_at      BIGINT
);
CREATE INDEX refresh_tokens_parent ON refresh_tokens (parent_hash, created_at);
CREATE INDEX refresh_tokens_connection ON refresh_tokens (connection_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- connection_id is NULL for a client-credentials token.
CREATE TABLE access_tokens (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    connection_id TEXT REFERENCES connections (id) ON DELETE CASCADE,
    subject       TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    issued_at     BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX access_tokens_client ON access_tokens (client_id);
CREATE INDEX access_tokens_connection ON access_tokens (connection_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

CREATE TABLE login_failures (
    id           INTEGER PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    failed_at    BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (throttle_key, failed_at);
CREATE INDEX login_failures_failed_at ON login_failures (failed_at);

CREATE TABLE login_locks (
    throttle_key TEXT PRIMARY KEY,
    locked_until BIGINT NOT NULL
);
CREATE INDEX login_locks_locked_until ON login_locks (locked_until);

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE signing_keys (
    id           TEXT PRIMARY KEY,
    algorithm    TEXT NOT NULL,
    private_key  BLOB NOT NULL,
    public_key   BLOB NOT NULL,
    created_at   BIGINT NOT NULL,
    activates_at BIGINT NOT NULL,
    retired_at   BIGINT,
    revoked_at   BIGINT
);

-- Rows locked by transactions that must not run concurrently, such as the
-- creation of the first signing key.
CREATE TABLE store_locks (
    name TEXT PRIMARY KEY
);
