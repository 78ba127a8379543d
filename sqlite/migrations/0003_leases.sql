-- Leases let one replica at a time run background work such as garbage
-- collection and scheduled key rotation.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
