-- Expired single-use rows are deleted by the purge (sam/ledger/purge.ts); sam.sads and sam.approvals already have
-- an index on expires_at.
CREATE INDEX challenges_created_idx ON sam.challenges (created_at);
