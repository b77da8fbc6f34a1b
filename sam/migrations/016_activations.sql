-- Self-service activation links (issue #14 finding 1): the admin only issues a link; the person who opens it sets
-- the PIN of the credentials it covers and enrols their own TOTP authenticator, so the operator never holds a
-- factor (EN 419241-1 sole control). The link's secret is kept only as its SHA-256; the TOTP seed offered on the
-- page is kept encrypted under the HSM's OTP key (with the user id as associated data, as in sam.otp) and becomes
-- the user's seed only when the person has confirmed it with a first valid code.
CREATE TABLE sam.activations (
  id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash     bytea       NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  user_id        text        NOT NULL,
  -- The username, for the page and the authenticator app's label (the SAM keeps no user directory).
  account_name   text        NOT NULL,
  credential_ids text[]      NOT NULL,
  -- Absent when no covered credential takes its one-time password from an authenticator app.
  seed_enc       bytea,
  -- Wrong confirmation codes on the page; at the limit the link is spent (it cannot be guessed at further).
  failures       integer     NOT NULL DEFAULT 0 CHECK (failures >= 0),
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX activations_user ON sam.activations (user_id);
CREATE INDEX activations_expires ON sam.activations (expires_at);

-- A credential created without a PIN waits for its owner's activation link: not activatable at any SCAL until the
-- link sets the PIN (sam/app/factors/check_factors.ts). Distinct from a NULL pin_hash alone, which an OTP-only SCAL 1
-- credential also has.
ALTER TABLE sam.credentials ADD COLUMN pin_pending boolean NOT NULL DEFAULT false;
