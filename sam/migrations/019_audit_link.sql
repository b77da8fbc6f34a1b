-- The audit chain in a narrow, insert-only table of its own (issue #13 item 3). Since 005 the sealer chained a row
-- by an UPDATE of the wide sam.audit row: a new version of the whole row and, the update not being HOT (seq is
-- indexed, and the partial index of unsealed rows changes), a new entry in each of its eight indexes; with the INSERT
-- this was more than half of PostgreSQL's work per signHash (docs/performance.md). Now:
--
--   sam.audit          the record as written, never touched again (no UPDATE, no DELETE);
--   sam.audit_pending  the ids appended and not yet chained (one narrow row each, inserted by sam.audit_append(),
--                      deleted by the sealer);
--   sam.audit_link     one row per chained record: its seq, the hash of the previous record and its own hash;
--   sam.audit_chained  the view that joins the two, with the columns readers used before.
--
-- The chain's bytes do not change: sam.audit_canonical() encodes the same values in the same order, seq and
-- prev_hash now taken from the link instead of the row, and the links of the rows chained before this migration are
-- their columns, copied. core/audit_chain.ts verifies old and new records alike.

-- Everything chained so far moves to links. A row already chained twice under one seq (a tampered trail) is kept as
-- it is: the verifier names it, so seq is indexed but not unique.
CREATE TABLE sam.audit_link (
  audit_id  bigint PRIMARY KEY,
  seq       bigint NOT NULL,
  prev_hash bytea  NOT NULL,
  hash      bytea  NOT NULL
);
INSERT INTO sam.audit_link (audit_id, seq, prev_hash, hash)
  SELECT id, seq, prev_hash, hash FROM sam.audit WHERE seq IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL;
CREATE INDEX audit_link_seq_idx ON sam.audit_link (seq);

-- Rows written through sam.audit_append() and not sealed yet (an instance of the previous version may have left some).
CREATE TABLE sam.audit_pending (id bigint PRIMARY KEY);
INSERT INTO sam.audit_pending (id) SELECT id FROM sam.audit WHERE seq IS NULL AND appended;

-- The old chain functions take the row's own chain columns, which go now (their indexes with them).
DROP FUNCTION sam.audit_seal();
DROP FUNCTION sam.audit_canonical(sam.audit);
ALTER TABLE sam.audit DROP COLUMN seq, DROP COLUMN prev_hash, DROP COLUMN hash;
-- No query of the service looks a record up by request or SAD alone (export filters by user, credential and time;
-- evidence by credential first): two index entries less per append.
DROP INDEX IF EXISTS sam.audit_request_idx;
DROP INDEX IF EXISTS sam.audit_sad_idx;

-- The encoding of 002, byte for byte; seq and prev_hash are the link's.
CREATE FUNCTION sam.audit_canonical(r sam.audit, p_seq bigint, p_prev_hash bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT convert_to('rssp-audit-v1', 'UTF8')
      || sam.audit_enc(p_seq::text)
      || sam.audit_enc(encode(p_prev_hash, 'hex'))
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

CREATE OR REPLACE FUNCTION sam.audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('rssp.audit_append', true), '') <> 'on' THEN
    RAISE EXCEPTION 'sam.audit is appended only through sam.audit_append()';
  END IF;
  NEW.appended := true;
  NEW.at := date_trunc('milliseconds', clock_timestamp());
  RETURN NEW;
END;
$$;

-- Records and links are never rewritten; the sealer only inserts.
CREATE OR REPLACE FUNCTION sam.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%.% is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER audit_link_append_only BEFORE UPDATE OR DELETE ON sam.audit_link
  FOR EACH ROW EXECUTE FUNCTION sam.audit_append_only();

CREATE OR REPLACE FUNCTION sam.audit_append(
  p_event text, p_result text, p_error_code text, p_user_id text, p_client_id text, p_credential_id text,
  p_hash_alg text, p_sign_algo text, p_hashes text[], p_sad_jti text, p_num_signatures integer, p_amr text[],
  p_request_id text, p_source_ip text, p_user_agent text, p_detail text
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  i bigint;
BEGIN
  PERFORM set_config('rssp.audit_append', 'on', true);
  INSERT INTO sam.audit (event, result, error_code, user_id, client_id, credential_id, hash_alg, sign_algo, hashes,
                         sad_jti, num_signatures, amr, request_id, source_ip, user_agent, detail)
  VALUES (p_event, p_result, p_error_code, p_user_id, p_client_id, p_credential_id, p_hash_alg, p_sign_algo, p_hashes,
          p_sad_jti, p_num_signatures, p_amr, p_request_id, p_source_ip, p_user_agent, p_detail)
  RETURNING id INTO i;
  PERFORM set_config('rssp.audit_append', 'off', true);
  INSERT INTO sam.audit_pending (id) VALUES (i);
  RETURN i;
END;
$$;

-- Chains every committed, pending row, in id order; returns how many. Only one sealer works at a time: the others
-- return -1 at once rather than queue, and their caller tries again shortly (sam/audit/seal.ts). The pending ids are
-- taken by one DELETE, so exactly the rows this call chains leave the queue; the links go in by one INSERT.
CREATE FUNCTION sam.audit_seal() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
  r sam.audit;
  s bigint;
  p bytea;
  h bytea;
  seqs bigint[] := '{}';
  aids bigint[] := '{}';
  prevs bytea[] := '{}';
  hashes bytea[] := '{}';
BEGIN
  -- 64-bit advisory key: "rssp-aud" as ASCII.
  IF NOT pg_try_advisory_xact_lock(8247062268280403300) THEN
    RETURN -1;
  END IF;
  WITH taken AS (DELETE FROM sam.audit_pending RETURNING id) SELECT array_agg(id) INTO ids FROM taken;
  IF ids IS NULL THEN
    RETURN 0;
  END IF;
  SELECT seq, hash INTO s, p FROM sam.audit_head WHERE one FOR UPDATE;
  FOR r IN SELECT * FROM sam.audit WHERE id = ANY (ids) ORDER BY id LOOP
    s := s + 1;
    h := sha256(sam.audit_canonical(r, s, p));
    seqs := seqs || s;
    aids := aids || r.id;
    prevs := prevs || p;
    hashes := hashes || h;
    p := h;
  END LOOP;
  IF cardinality(seqs) > 0 THEN
    INSERT INTO sam.audit_link (audit_id, seq, prev_hash, hash) SELECT * FROM unnest(aids, seqs, prevs, hashes);
    UPDATE sam.audit_head SET seq = s, hash = p WHERE one;
  END IF;
  RETURN cardinality(seqs);
END;
$$;

-- What the readers (export, evidence) see: every record with its link, if it has one.
CREATE VIEW sam.audit_chained AS
  SELECT a.id, l.seq, l.prev_hash, l.hash, a.at, a.event, a.result, a.error_code, a.user_id, a.client_id,
         a.credential_id, a.hash_alg, a.sign_algo, a.hashes, a.sad_jti, a.num_signatures, a.amr, a.request_id,
         a.source_ip, a.user_agent, a.detail, a.appended
    FROM sam.audit a LEFT JOIN sam.audit_link l ON l.audit_id = a.id;
