-- The kid of the key that signed each access token, so that revoking a
-- signing key revokes its tokens on every replica with the same read that
-- checks a token's own revocation.
ALTER TABLE access_tokens ADD COLUMN key_id TEXT;
