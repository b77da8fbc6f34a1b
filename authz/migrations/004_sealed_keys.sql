-- The authorization server's secrets sealed by the SAM (issue #14 finding 7): `sealed` is what the SAM's
-- sealAuthzSecret returned for the row's kid and use (AES-256-GCM under a key that never leaves the HSM), `scope`
-- names the token that sealed it. `secret` keeps the plaintext only of rows written before this migration, until
-- the start that creates the SAM's wrap key seals them in place (authz/oauth/keys.ts). A row is one or the other.
ALTER TABLE authz.oauth_keys ALTER COLUMN secret DROP NOT NULL;
ALTER TABLE authz.oauth_keys ADD COLUMN sealed text, ADD COLUMN scope text;
ALTER TABLE authz.oauth_keys ADD CONSTRAINT oauth_keys_sealed_or_plain
  CHECK ((secret IS NULL) = (sealed IS NOT NULL) AND (sealed IS NULL) = (scope IS NULL));
CREATE INDEX oauth_keys_live ON authz.oauth_keys (scope, use, created_at DESC) WHERE retired_at IS NULL;
