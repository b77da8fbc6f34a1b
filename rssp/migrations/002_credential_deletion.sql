-- credentials/delete (CSC v2.2): the record stays, marked deleted, so that the id is never issued again and the
-- audit trail's references keep naming a known credential; every CSC method treats it as unknown from then on.
ALTER TABLE rssp.credentials ADD COLUMN deleted_at timestamptz;
-- A one-time credential (CSC v2.2 credentials/create): one transaction, then deleted by the SAM.
ALTER TABLE rssp.credentials ADD COLUMN one_time boolean NOT NULL DEFAULT false;
