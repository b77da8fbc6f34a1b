-- Consecutive wrong one-time passwords per user as well as per credential (issue #14 finding 7). A user's TOTP seed
-- serves all their credentials, so a per-credential counter alone gave a guesser MAX_FACTOR_FAILURES tries per
-- credential at the same authenticator; this one bounds the tries per authenticator.
ALTER TABLE sam.otp ADD COLUMN failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0);
