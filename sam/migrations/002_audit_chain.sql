-- The tamper-evident audit trail (issue #4 item 5). Every row of sam.audit is chained to the one before it:
-- seq numbers the rows without gaps, prev_hash is the hash of row seq-1, hash is SHA-256 over a canonical encoding
-- of the row (including seq and prev_hash). Changing, deleting or inserting a row breaks the chain at that row;
-- checkpoints (sam.audit_checkpoints) sign the head of the chain with a key inside the HSM, so a chain rewritten
-- from some row onwards no longer matches a signed head. core/audit_chain.ts mirrors the encoding for verifiers:
-- the two must change together (bump the 'rssp-audit-v1' tag).
--
-- Chaining happens in the database, in the INSERT itself: no extra round trip for the caller, and rows written by
-- several instances at once get one order (the head row lock).

-- Security events beyond activation and signing (sign-in, tokens, lockout, admin actions...): the set of event
-- names belongs to the application (sam/audit/audit_log.ts); the database only keeps them well-formed. Dropping
-- 001's list also tells 003's conditional rewrite of that list to stand aside.
ALTER TABLE sam.audit DROP CONSTRAINT IF EXISTS audit_event_check;
ALTER TABLE sam.audit ADD CONSTRAINT audit_event_format CHECK (event ~ '^[a-z][a-z0-9_.-]{0,63}$');

-- detail: a JSON object as text (kept byte for byte, since it is hashed) for what a column does not hold, e.g.
-- the admin action and its target. Chain columns stay nullable so that a row slipped in with the triggers
-- disabled is still stored, and reported by the verifier, rather than refused.
ALTER TABLE sam.audit
  ADD COLUMN detail    text,
  ADD COLUMN seq       bigint,
  ADD COLUMN prev_hash bytea,
  ADD COLUMN hash      bytea;

-- The head of the chain: one row, locked by every append until its transaction ends.
CREATE TABLE sam.audit_head (
  one  boolean PRIMARY KEY DEFAULT true CHECK (one),
  seq  bigint  NOT NULL,
  hash bytea   NOT NULL
);
INSERT INTO sam.audit_head (one, seq, hash) VALUES (true, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

-- Canonical encoding: each value as <byte length>:<UTF-8 bytes>, NULL as '~', an array as [<count>: values ],
-- so that no two different rows encode alike.
CREATE FUNCTION sam.audit_enc(v text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v IS NULL THEN '\x7e'::bytea
              ELSE convert_to(octet_length(convert_to(v, 'UTF8'))::text || ':', 'UTF8') || convert_to(v, 'UTF8') END
$$;

CREATE FUNCTION sam.audit_enc_array(v text[]) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  out bytea;
  e text;
BEGIN
  IF v IS NULL THEN RETURN '\x7e'::bytea; END IF;
  out := convert_to('[' || coalesce(cardinality(v), 0)::text || ':', 'UTF8');
  FOREACH e IN ARRAY v LOOP
    out := out || sam.audit_enc(e);
  END LOOP;
  RETURN out || convert_to(']', 'UTF8');
END;
$$;

CREATE FUNCTION sam.audit_canonical(r sam.audit) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT convert_to('rssp-audit-v1', 'UTF8')
      || sam.audit_enc(r.seq::text)
      || sam.audit_enc(encode(r.prev_hash, 'hex'))
      || sam.audit_enc(to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      || sam.audit_enc(r.event)
      || sam.audit_enc(r.result)
      || sam.audit_enc(r.error_code)
      || sam.audit_enc(r.user_id)
      || sam.audit_enc(r.client_id)
      || sam.audit_enc(r.credential_id)
      || sam.audit_enc(r.hash_alg)
      || sam.audit_enc(r.sign_algo)
      || sam.audit_enc_array(r.hashes)
      || sam.audit_enc(r.sad_jti)
      || sam.audit_enc(r.num_signatures::text)
      || sam.audit_enc_array(r.amr)
      || sam.audit_enc(r.request_id)
      || sam.audit_enc(r.source_ip)
      || sam.audit_enc(r.user_agent)
      || sam.audit_enc(r.detail)
$$;

-- Chains a new row under the head's lock. The time is taken here, after the lock, so that time follows seq, and
-- cut to milliseconds so that every client reads back exactly what was hashed.
CREATE FUNCTION sam.audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  h record;
BEGIN
  IF coalesce(current_setting('rssp.audit_append', true), '') <> 'on' THEN
    RAISE EXCEPTION 'sam.audit is appended only through sam.audit_append()';
  END IF;
  SELECT seq, hash INTO h FROM sam.audit_head WHERE one FOR UPDATE;
  NEW.seq := h.seq + 1;
  NEW.prev_hash := h.hash;
  NEW.at := date_trunc('milliseconds', clock_timestamp());
  NEW.hash := sha256(sam.audit_canonical(NEW));
  UPDATE sam.audit_head SET seq = NEW.seq, hash = NEW.hash WHERE one;
  RETURN NEW;
END;
$$;

-- The one way in. A plain INSERT (someone at a psql prompt) is refused by the trigger above, so a row can only
-- join the chain the way the service writes it.
CREATE FUNCTION sam.audit_append(
  p_event text, p_result text, p_error_code text, p_user_id text, p_client_id text, p_credential_id text,
  p_hash_alg text, p_sign_algo text, p_hashes text[], p_sad_jti text, p_num_signatures integer, p_amr text[],
  p_request_id text, p_source_ip text, p_user_agent text, p_detail text
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  s bigint;
BEGIN
  PERFORM set_config('rssp.audit_append', 'on', true);
  INSERT INTO sam.audit (event, result, error_code, user_id, client_id, credential_id, hash_alg, sign_algo, hashes,
                         sad_jti, num_signatures, amr, request_id, source_ip, user_agent, detail)
  VALUES (p_event, p_result, p_error_code, p_user_id, p_client_id, p_credential_id, p_hash_alg, p_sign_algo, p_hashes,
          p_sad_jti, p_num_signatures, p_amr, p_request_id, p_source_ip, p_user_agent, p_detail)
  RETURNING seq INTO s;
  PERFORM set_config('rssp.audit_append', 'off', true);
  RETURN s;
END;
$$;

-- Rows written before this migration join the chain in the order they were written.
ALTER TABLE sam.audit DISABLE TRIGGER audit_append_only;
DO $$
DECLARE
  r sam.audit;
  h record;
BEGIN
  FOR r IN SELECT * FROM sam.audit ORDER BY id LOOP
    SELECT seq, hash INTO h FROM sam.audit_head WHERE one;
    r.seq := h.seq + 1;
    r.prev_hash := h.hash;
    r.at := date_trunc('milliseconds', r.at);
    r.hash := sha256(sam.audit_canonical(r));
    UPDATE sam.audit SET seq = r.seq, prev_hash = r.prev_hash, at = r.at, hash = r.hash WHERE id = r.id;
    UPDATE sam.audit_head SET seq = r.seq, hash = r.hash WHERE one;
  END LOOP;
END;
$$;
ALTER TABLE sam.audit ENABLE TRIGGER audit_append_only;

CREATE TRIGGER audit_chain BEFORE INSERT ON sam.audit FOR EACH ROW EXECUTE FUNCTION sam.audit_chain();
CREATE INDEX audit_seq_idx ON sam.audit (seq);
CREATE INDEX audit_at_idx ON sam.audit (at);

-- Signed heads of the chain. The signature (ECDSA P-256, DER, key label rssp-audit-checkpoint inside the HSM) is
-- over SHA-256 of the statement core/audit_chain.ts checkpointStatement() builds from seq, hash and at; kid is the
-- RFC 7638 thumbprint of the public key, so verifiers can tell keys apart after a rotation.
CREATE TABLE sam.audit_checkpoints (
  seq       bigint      PRIMARY KEY,
  hash      bytea       NOT NULL,
  at        timestamptz NOT NULL,
  kid       text        NOT NULL,
  signature bytea       NOT NULL
);
