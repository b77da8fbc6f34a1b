-- Checkpoints anchored by an RFC 3161 timestamp (issue #14 finding 2). A checkpoint is signed by a key of the SAM;
-- its time, and that it existed then, is the SAM's word. A TimeStampToken over the SHA-256 of the checkpoint's signed
-- statement (core/audit_chain.ts checkpointStatement) is a second, independent witness: a TSA's signature that the
-- checkpoint existed at genTime, which a writer of this database cannot re-make for a rewritten checkpoint. The token
-- is asked for before the row is inserted and written with it, so that every export and the anchor file agree; rows
-- without one are normal: checkpoints written before this migration, or while the TSA was unreachable.
ALTER TABLE sam.audit_checkpoints ADD COLUMN timestamp_token bytea;
