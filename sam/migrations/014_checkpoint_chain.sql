-- Checkpoints that sign their predecessor (issue #14 finding 2). Until now each checkpoint signed only the chain
-- head, so a writer could delete the newest checkpoint rows together with the records after them and nothing in the
-- database showed it. From here on a checkpoint's statement (core/audit_chain.ts checkpointStatement, version 2)
-- also names the checkpoint before it: its seq, and the SHA-256 of that checkpoint's own statement. prev_seq 0 with
-- a zero digest starts the checkpoint chain. Rows written before this migration keep the version 1 statement (both
-- columns NULL) and are verified as before; the first new checkpoint chains onto the last of them.
ALTER TABLE sam.audit_checkpoints ADD COLUMN prev_seq bigint, ADD COLUMN prev bytea;
ALTER TABLE sam.audit_checkpoints ADD CONSTRAINT audit_checkpoints_prev_both
  CHECK ((prev_seq IS NULL) = (prev IS NULL) AND (prev_seq IS NULL OR prev_seq < seq));
