-- The SAM keeps each credential's Sole Control Assurance Level and its multisign itself (issue #14 finding 4).
-- They used to arrive with every call from rssp's table, so a caller claiming SCAL 1 skipped the hash binding and
-- the second factor. Existing credentials take the values rssp published for them; a credential rssp does not know
-- gets the strict defaults (SCAL 2, one signature per authorization).
ALTER TABLE sam.credentials
  ADD COLUMN scal text NOT NULL DEFAULT '2' CHECK (scal IN ('1', '2')),
  ADD COLUMN multisign integer NOT NULL DEFAULT 1 CHECK (multisign >= 1);
-- Only where this role may read rssp's schema: under the roles of scripts/db-roles.sql the SAM's role may not (its
-- credentials then started out with the SAM, which had no SCAL of rssp's to copy). The guard was widened after the
-- file first shipped; on a database where it already ran, it changed nothing.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'rssp' AND has_schema_privilege(oid, 'USAGE')) THEN
    IF to_regclass('rssp.credentials') IS NOT NULL AND has_table_privilege('rssp.credentials', 'SELECT') THEN
      UPDATE sam.credentials s SET scal = r.scal, multisign = r.multisign
        FROM rssp.credentials r WHERE r.credential_id = s.credential_id;
    END IF;
  END IF;
END $$;
-- Defaults were for the rows above only: a new credential states both.
ALTER TABLE sam.credentials ALTER COLUMN scal DROP DEFAULT, ALTER COLUMN multisign DROP DEFAULT;
