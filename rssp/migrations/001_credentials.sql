-- Credential records of the CSC API (CSC v2 §11.4, §11.5). The key itself and its activation factors live in
-- the SAM (schema sam); this table holds what rssp publishes about a credential: owner, policy and the chain.
CREATE TABLE rssp.credentials (
  credential_id text PRIMARY KEY,
  owner_id      text NOT NULL,
  description   text CHECK (description IS NULL OR char_length(description) <= 255),
  -- CSC v2 §11.4 credentialInfo/SCAL: "2" binds the SAD to the hashes.
  scal          text NOT NULL DEFAULT '2' CHECK (scal IN ('1', '2')),
  auth_mode     text NOT NULL DEFAULT 'explicit' CHECK (auth_mode IN ('explicit', 'oauth2code')),
  multisign     int  NOT NULL DEFAULT 1 CHECK (multisign >= 1),
  key_algo      text NOT NULL,
  -- DER certificates, end-entity first (CSC v2 §11.4 cert/certificates).
  certificates  bytea[] NOT NULL CHECK (cardinality(certificates) >= 1),
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX credentials_owner_id_idx ON rssp.credentials (owner_id);
