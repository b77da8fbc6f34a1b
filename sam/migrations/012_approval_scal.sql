-- An asynchronous approval no longer carries a SCAL of its own: the decision runs activate, which reads the
-- credential's SCAL from sam.credentials (migration 011). The column was written and never read.
ALTER TABLE sam.approvals DROP COLUMN scal;
