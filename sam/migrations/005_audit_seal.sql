-- Chaining the audit trail after commit instead of inside the writer's transaction (issue #4 item 5, performance).
-- In 002 every append locked the chain head until its transaction committed, so audited transactions (one per
-- signHash) committed one at a time: measured on the development VM, 8 concurrent writers fell from ~1 300 to
-- ~200 transactions/s. Now an append takes no lock: the row is stored with its content, its time and the mark
-- `appended` (set only by the trigger, i.e. only for rows written through sam.audit_append()), and
-- sam.audit_seal() chains the committed, unsealed rows in one short transaction, in the order it finds them: that
-- order is the chain's. The service seals right after each write (coalesced), every few seconds, and before every
-- checkpoint, export and evidence lookup. Rows written before this migration are already sealed.
--
-- A row slipped in with the triggers disabled lacks the mark: it is never sealed, and the verifier names it.

ALTER TABLE sam.audit ADD COLUMN appended boolean;

CREATE OR REPLACE FUNCTION sam.audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('rssp.audit_append', true), '') <> 'on' THEN
    RAISE EXCEPTION 'sam.audit is appended only through sam.audit_append()';
  END IF;
  NEW.appended := true;
  NEW.at := date_trunc('milliseconds', clock_timestamp());
  NEW.seq := NULL;
  NEW.prev_hash := NULL;
  NEW.hash := NULL;
  RETURN NEW;
END;
$$;

-- Still append-only, except for the sealer filling in the chain columns of a row that has none yet.
CREATE OR REPLACE FUNCTION sam.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND coalesce(current_setting('rssp.audit_seal', true), '') = 'on' AND OLD.seq IS NULL AND OLD.appended
     AND (NEW.id, NEW.at, NEW.event, NEW.result, NEW.error_code, NEW.user_id, NEW.client_id, NEW.credential_id, NEW.hash_alg,
          NEW.sign_algo, NEW.hashes, NEW.sad_jti, NEW.num_signatures, NEW.amr, NEW.request_id, NEW.source_ip,
          NEW.user_agent, NEW.detail, NEW.appended)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.at, OLD.event, OLD.result, OLD.error_code, OLD.user_id, OLD.client_id, OLD.credential_id, OLD.hash_alg,
          OLD.sign_algo, OLD.hashes, OLD.sad_jti, OLD.num_signatures, OLD.amr, OLD.request_id, OLD.source_ip,
          OLD.user_agent, OLD.detail, OLD.appended) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'sam.audit is append-only';
END;
$$;

-- Chains every committed, unsealed row; returns how many. Only one sealer works at a time: the others return -1 at
-- once rather than queue, and their caller tries again shortly (sam/audit/seal.ts).
CREATE FUNCTION sam.audit_seal() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  h record;
  r sam.audit;
  n integer := 0;
BEGIN
  -- 64-bit advisory key: "rssp-aud" as ASCII.
  IF NOT pg_try_advisory_xact_lock(8247062268280403300) THEN
    RETURN -1;
  END IF;
  SELECT seq, hash INTO h FROM sam.audit_head WHERE one FOR UPDATE;
  PERFORM set_config('rssp.audit_seal', 'on', true);
  FOR r IN SELECT * FROM sam.audit WHERE seq IS NULL AND appended ORDER BY id LOOP
    r.seq := h.seq + 1;
    r.prev_hash := h.hash;
    r.hash := sha256(sam.audit_canonical(r));
    UPDATE sam.audit SET seq = r.seq, prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
    h.seq := r.seq;
    h.hash := r.hash;
    n := n + 1;
  END LOOP;
  PERFORM set_config('rssp.audit_seal', 'off', true);
  IF n > 0 THEN
    UPDATE sam.audit_head SET seq = h.seq, hash = h.hash WHERE one;
  END IF;
  RETURN n;
END;
$$;

CREATE INDEX audit_unsealed_idx ON sam.audit (id) WHERE seq IS NULL;
