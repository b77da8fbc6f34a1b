-- Users of the service and the tokens auth/login issues (CSC v2 §11.2, §11.3). Forward-only.

CREATE TABLE authz.users (
  id            text PRIMARY KEY,                 -- random UUID, the CSC userID / SAD `sub`
  username      text NOT NULL UNIQUE,
  password_hash text NOT NULL,                    -- core/slow_hash.ts format, never the password
  name          text,
  email         text,
  phone         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_username_format CHECK (username ~ '^[A-Za-z0-9._@-]{3,64}$')
);

-- "Alice" and "alice" are one account: two look-alike users would be an impersonation aid, and Basic auth
-- clients differ on case handling.
CREATE UNIQUE INDEX users_username_lower ON authz.users (lower(username));

-- Only the SHA-256 of a token is stored: a copy of this table does not let anyone call the API.
CREATE TABLE authz.tokens (
  token_hash  bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  kind        text NOT NULL CHECK (kind IN ('access', 'refresh')),
  -- One login and every token rotated from it; revoking a refresh token revokes the family (§11.3) and a
  -- reused refresh token revokes it too (RFC 9700 §4.14.2).
  family_id   text NOT NULL,
  user_id     text NOT NULL REFERENCES authz.users (id) ON DELETE CASCADE,
  client_id   text NOT NULL,
  scope       text NOT NULL,
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tokens_family ON authz.tokens (family_id);
CREATE INDEX tokens_user ON authz.tokens (user_id);
