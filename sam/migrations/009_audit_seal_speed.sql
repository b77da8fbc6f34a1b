-- Sealing (005) cost PostgreSQL ~4 ms of CPU per audit row under load, about half of all its work per signHash
-- (docs/performance.md). Two causes, two fixes; the chain's bytes do not change.
--
-- 1. The sealer finds unsealed rows through the partial index audit_unsealed_idx. Sealing updates a row out of that
--    index, but its old entry stays until VACUUM, and the planner chose a bitmap scan, which never marks such
--    entries dead: every seal visited every row sealed since the last VACUUM (100 000 heap tuples for 6 live rows,
--    26 ms, measured). A plain index scan marks them dead as it passes (kill_prior_tuple), so each costs once.
ALTER FUNCTION sam.audit_seal() SET enable_bitmapscan = off;

-- 2. sam.audit_enc, a SQL function that names its argument three times, is never inlined, and each of its ~20
--    calls per row went through the SQL function executor (~45 µs each). The same encoding in PL/pgSQL.
CREATE OR REPLACE FUNCTION sam.audit_enc(v text) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  b bytea;
BEGIN
  IF v IS NULL THEN
    RETURN '\x7e'::bytea;
  END IF;
  b := convert_to(v, 'UTF8');
  RETURN convert_to(octet_length(b)::text || ':', 'UTF8') || b;
END;
$$;
