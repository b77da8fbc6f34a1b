-- The DPoP proofs the CSC API has accepted (RFC 9449 §11.1): a proof's jti is single-use security state, so it is
-- remembered here, behind the primary key, rather than in Redis, which may lose an acknowledged write on failover
-- (DESIGN §3). A row is needed only while its proof's iat is inside the window (DPOP_PROOF_WINDOW_SECONDS): older
-- proofs are refused on their iat alone, and the purge deletes the row.
CREATE TABLE rssp.dpop_proofs (
  -- RFC 7638 thumbprint of the proof's key: jti values are unique per key, not across keys.
  jkt        text        NOT NULL,
  jti        text        NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (jkt, jti)
);
CREATE INDEX dpop_proofs_expires_at ON rssp.dpop_proofs (expires_at);
