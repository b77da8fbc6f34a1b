-- Out-of-band one-time passwords (CSC v2 §11.8 credentials/getChallenge) and transaction extension (§11.9).

-- How a credential's possession factor reaches its owner: 'totp' (an authenticator app, sam.otp), or a code the
-- SAM generates per challenge and hands to a notifier ('email', 'sms'). Existing credentials keep TOTP.
ALTER TABLE sam.credentials
  ADD COLUMN otp_channel text NOT NULL DEFAULT 'totp' CHECK (otp_channel IN ('totp', 'email', 'sms'));

-- One row per challenge sent. Only a slow hash of the code is kept (core/slow_hash.ts): a copy of the table does
-- not reveal live codes. used_at makes a code single-use (a conditional UPDATE claims it); a newer challenge
-- supersedes older ones, so at most one code per credential is ever live. Rows older than the rate-limit window
-- carry no meaning and may be purged.
CREATE TABLE sam.challenges (
  id            bigserial   PRIMARY KEY,
  credential_id text        NOT NULL REFERENCES sam.credentials (credential_id) ON DELETE CASCADE,
  user_id       text        NOT NULL,
  channel       text        NOT NULL CHECK (channel IN ('email', 'sms')),
  code_hash     text        NOT NULL,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz,
  superseded_at timestamptz
);
CREATE INDEX challenges_credential_idx ON sam.challenges (credential_id, created_at);

-- Transaction extension (§11.9): a SAD minted by extendTransaction names the SAD it supersedes and keeps the
-- time of the authorization that started the transaction, so the whole chain is bounded by policy.
ALTER TABLE sam.sads
  ADD COLUMN parent_jti text,
  ADD COLUMN origin_at  timestamptz;

-- The audit log gains the events of these methods. Replaced only while the constraint of 001 is in place, so a
-- later rewrite of the audit table is left alone.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'audit_event_check' AND conrelid = to_regclass('sam.audit')) THEN
    ALTER TABLE sam.audit DROP CONSTRAINT audit_event_check;
    ALTER TABLE sam.audit ADD CONSTRAINT audit_event_check
      CHECK (event IN ('activate', 'sign', 'challenge', 'extend', 'approve'));
  END IF;
END;
$$;
