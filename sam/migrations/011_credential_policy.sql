-- The SAM keeps each credential's Sole Control Assurance Level and its multisign itself (issue #14 finding 4).
-- They used to arrive with every call from rssp's table, so a caller claiming SCAL 1 skipped the hash binding and
-- the second factor. Existing credentials take the values rssp published for them; a credential rssp does not know
-- gets the strict defaults (SCAL 2, one signature per authorization).
ALTER TABLE sam.credentials
  ADD COLUMN scal text NOT NULL DEFAULT '2' CHECK (scal IN ('1', '2')),
  ADD COLUMN multisign integer NOT NULL DEFAULT 1 CHECK (multisign >= 1);
DO $$
BEGIN
  IF to_regclass('rssp.credentials') IS NOT NULL THEN
    UPDATE sam.credentials s SET scal = r.scal, multisign = r.multisign
      FROM rssp.credentials r WHERE r.credential_id = s.credential_id;
  END IF;
END $$;
-- Defaults were for the rows above only: a new credential states both.
ALTER TABLE sam.credentials ALTER COLUMN scal DROP DEFAULT, ALTER COLUMN multisign DROP DEFAULT;
