-- The SAD's commitment checked against the database (issue #14 finding 3). `hashes` shrinks as signatures are
-- made, so it cannot be compared with the SAD's `hsh` commitment; `authorized` keeps the list exactly as minted and
-- never changes. signHash and extendTransaction recompute the commitment over it and require what is left to be
-- drawn from it, so a database writer who blanks or swaps the list gets a refusal, not a blank SAD.
ALTER TABLE sam.sads ADD COLUMN authorized bytea[];
-- SADs live minutes: those not yet used keep working across the upgrade; a partly used one is refused from now on.
UPDATE sam.sads SET authorized = hashes WHERE used = 0 AND hashes IS NOT NULL;
