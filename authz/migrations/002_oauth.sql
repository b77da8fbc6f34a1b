-- The OAuth 2.0 authorization server (CSC v2 §8.4, issue #3). Forward-only.

-- Durable oidc-provider models: Client, Grant, AuthorizationCode, AccessToken, RefreshToken,
-- PushedAuthorizationRequest, ReplayDetection (private_key_jwt jti). Single-use state lives here, never in Redis
-- (DESIGN §3): a code or a request_uri is consumed with a conditional UPDATE, so two redemptions cannot both win.
CREATE TABLE authz.oauth_models (
  model        text NOT NULL,
  id           text NOT NULL,
  payload      jsonb NOT NULL,
  grant_id     text,
  uid          text,
  expires_at   timestamptz,
  consumed_at  timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, id)
);
CREATE INDEX oauth_models_grant ON authz.oauth_models (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oauth_models_expiry ON authz.oauth_models (expires_at) WHERE expires_at IS NOT NULL;

-- What the person approved on the signature page: the SAD that the SAM minted after checking PIN and OTP, and the
-- credential request it is bound to. The credential-scoped access token of this grant stands in for the SAD
-- (CSC v2 §8.4.2, DESIGN §2.2).
CREATE TABLE authz.oauth_credential_grants (
  grant_id       text PRIMARY KEY,
  user_id        text NOT NULL REFERENCES authz.users (id) ON DELETE CASCADE,
  client_id      text NOT NULL,
  credential_id  text NOT NULL,
  sad            text NOT NULL,
  -- The authorization_details as approved (RAR), or null when the CSC parameters were used.
  authorization_details jsonb,
  expires_at     timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Signing keys of the authorization server (JWKS) and the keys of its signed cookies. Generated once and kept, so
-- a restart never invalidates what was signed; rotation adds a key in front and keeps the old ones for checking.
CREATE TABLE authz.oauth_keys (
  kid         text PRIMARY KEY,
  use         text NOT NULL CHECK (use IN ('sig', 'cookie')),
  secret      jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  retired_at  timestamptz
);
