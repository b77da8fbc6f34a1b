-- Schema of the Signature Activation Module (DESIGN §2, §3). Everything single-use or security-relevant lives
-- here behind row locks, conditional UPDATEs and CHECK constraints, never in Redis.

-- A credential binds an owner to a key pair inside the HSM. The PIN is a slow hash (core/slow_hash.ts); the
-- failure counter and lock are durable so that restarts and other instances see them (DESIGN §2.1).
CREATE TABLE sam.credentials (
  credential_id text PRIMARY KEY,
  owner_id      text        NOT NULL,
  key_id        text        NOT NULL,
  key_algo      text        NOT NULL CHECK (key_algo IN ('EC-P256', 'EC-P384', 'RSA-2048', 'RSA-3072')),
  pss_only      boolean     NOT NULL DEFAULT false,
  spki          bytea       NOT NULL,
  enabled       boolean     NOT NULL DEFAULT true,
  pin_hash      text,
  failures      integer     NOT NULL DEFAULT 0 CHECK (failures >= 0),
  locked_at     timestamptz,
  not_before    timestamptz,
  not_after     timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credentials_owner_idx ON sam.credentials (owner_id);

-- TOTP seeds, encrypted under an AES key that never leaves the HSM (AAD = user id, so a row copied to another
-- user does not decrypt). last_step is the last accepted RFC 6238 time step: a code is accepted only for a
-- later step, which makes every code single-use across instances.
CREATE TABLE sam.otp (
  user_id    text        PRIMARY KEY,
  seed_enc   bytea       NOT NULL,
  last_step  bigint      NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Issued SADs. `hashes` is the multiset still signable (one occurrence removed per signature); NULL for a
-- SCAL 1 SAD that authorized a count only. The CHECK on used makes over-consumption impossible even for a
-- buggy caller (DESIGN §2.3: at most n signatures per SAD).
CREATE TABLE sam.sads (
  jti           text        PRIMARY KEY,
  user_id       text        NOT NULL,
  client_id     text        NOT NULL,
  credential_id text        NOT NULL REFERENCES sam.credentials (credential_id) ON DELETE CASCADE,
  hash_alg      text,
  n             integer     NOT NULL CHECK (n >= 1),
  used          integer     NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= n),
  hashes        bytea[],
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sads_credential_idx ON sam.sads (credential_id);
CREATE INDEX sads_expires_idx ON sam.sads (expires_at);

-- Certificates of CAs whose keys live in the HSM (the development CA), by key label.
CREATE TABLE sam.ca (
  label      text        PRIMARY KEY,
  der        bytea       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The signature audit log: one row per activation and per signing attempt, refused or not (DESIGN §2, §2.6).
-- Append-only: a trigger refuses UPDATE and DELETE so that the application cannot rewrite history.
CREATE TABLE sam.audit (
  id             bigserial   PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  event          text        NOT NULL CHECK (event IN ('activate', 'sign')),
  result         text        NOT NULL CHECK (result IN ('ok', 'refused', 'error')),
  error_code     text,
  user_id        text,
  client_id      text,
  credential_id  text,
  hash_alg       text,
  sign_algo      text,
  hashes         text[],
  sad_jti        text,
  num_signatures integer,
  amr            text[],
  request_id     text,
  source_ip      text,
  user_agent     text
);
CREATE INDEX audit_credential_idx ON sam.audit (credential_id, at);
CREATE INDEX audit_user_idx ON sam.audit (user_id, at);
CREATE INDEX audit_sad_idx ON sam.audit (sad_jti);
CREATE INDEX audit_request_idx ON sam.audit (request_id);

CREATE FUNCTION sam.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sam.audit is append-only';
END;
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON sam.audit
  FOR EACH ROW EXECUTE FUNCTION sam.audit_append_only();
