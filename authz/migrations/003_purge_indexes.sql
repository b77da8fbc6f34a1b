-- Expired rows are deleted by the purge (authz/purge.ts) a while after they stop deciding anything; these indexes
-- let it find them without reading the whole table every few minutes.
CREATE INDEX tokens_expires ON authz.tokens (expires_at);
CREATE INDEX oauth_credential_grants_expires ON authz.oauth_credential_grants (expires_at);
