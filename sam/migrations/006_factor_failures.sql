-- Lockout per credential AND factor (issue #4 item 4): one counter of consecutive failures for the PIN and one for
-- the one-time password (TOTP or a code sent by credentials/getChallenge), each locking the credential when it
-- reaches MAX_FACTOR_FAILURES. 001's single counter mixed the two, so a person who mistyped the PIN four times and
-- the OTP once was locked out. Forward only: the old count cannot be split by factor, so both new counters start
-- from it (an upgrade never hands out extra guesses), and the old column goes so that nothing reads it by mistake.
ALTER TABLE sam.credentials
  ADD COLUMN pin_failures integer NOT NULL DEFAULT 0 CHECK (pin_failures >= 0),
  ADD COLUMN otp_failures integer NOT NULL DEFAULT 0 CHECK (otp_failures >= 0);

UPDATE sam.credentials SET pin_failures = failures, otp_failures = failures WHERE failures > 0;

ALTER TABLE sam.credentials DROP COLUMN failures;
