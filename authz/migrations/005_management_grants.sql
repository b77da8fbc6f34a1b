-- What the person approved for a CSC v2.2 credential creation or deletion (RAR types credential_creation and
-- credential_deletion, authz/oauth/management_request.ts): the access token of this grant allows one call of
-- credentials/create, or of credentials/delete for `credential_id`, by this user through this client. `used_at` is
-- set by that call with a conditional UPDATE (… WHERE used_at IS NULL), so that two calls in parallel cannot both
-- use it (DESIGN §3: single-use state in PostgreSQL).
CREATE TABLE authz.oauth_management_grants (
  grant_id       text PRIMARY KEY,
  user_id        text NOT NULL REFERENCES authz.users (id) ON DELETE CASCADE,
  client_id      text NOT NULL,
  action         text NOT NULL CHECK (action IN ('create', 'delete')),
  credential_id  text,
  authorization_details jsonb NOT NULL,
  used_at        timestamptz,
  expires_at     timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((action = 'delete') = (credential_id IS NOT NULL))
);
CREATE INDEX oauth_management_grants_expires ON authz.oauth_management_grants (expires_at);
