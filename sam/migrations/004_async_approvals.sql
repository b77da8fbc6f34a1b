-- Asynchronous authorization (CSC v2 §11.6 answered 202, §11.7 credentials/authorizeCheck): the person approves
-- on a page reached by a link sent out of band. Pending requests live here so that they survive a restart and
-- are seen by every instance.

-- 'async': credentials/authorize answers 202 with a handle and the person approves out of band.
ALTER TABLE sam.credentials
  ADD COLUMN approval text NOT NULL DEFAULT 'inline' CHECK (approval IN ('inline', 'async'));

-- handle_hash: SHA-256 of the handle the signature application polls with; link_hash: SHA-256 of the secret in
-- the link sent to the person. Neither secret is stored. The SAD minted on approval waits in `sad` until the
-- first authorizeCheck takes it (then NULL): it is never handed out twice.
CREATE TABLE sam.approvals (
  id             bigserial   PRIMARY KEY,
  handle_hash    bytea       NOT NULL UNIQUE,
  link_hash      bytea       NOT NULL UNIQUE,
  user_id        text        NOT NULL,
  client_id      text        NOT NULL,
  credential_id  text        NOT NULL REFERENCES sam.credentials (credential_id) ON DELETE CASCADE,
  num_signatures integer     NOT NULL CHECK (num_signatures >= 1),
  hash_alg       text,
  hashes         bytea[],
  scal           text        NOT NULL CHECK (scal IN ('1', '2')),
  description    text,
  state          text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'deciding', 'approved', 'refused', 'delivered')),
  sad            text,
  sad_expires_at timestamptz,
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  decided_at     timestamptz
);
CREATE INDEX approvals_expires_idx ON sam.approvals (expires_at);
