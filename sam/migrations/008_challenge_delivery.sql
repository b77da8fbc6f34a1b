-- getChallenge no longer holds the credential's row lock while a notifier sends (a slow SMTP server delayed every
-- activation of that credential): the challenge row is reserved under the lock, the code sent without it, and the
-- row marked delivered afterwards. Only delivered codes can be used or supersede others; a reservation whose
-- delivery failed is deleted. Rows from before this migration were delivered when they were written.
ALTER TABLE sam.challenges ADD COLUMN delivered_at timestamptz;
UPDATE sam.challenges SET delivered_at = created_at;
