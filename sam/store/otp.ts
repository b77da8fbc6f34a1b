// sam.otp: one encrypted TOTP seed per user and the last accepted time step (RFC 6238 §5.2: a verifier must not
// accept the same code twice).
import type { Queryable } from './queryable.ts';

export async function upsertOtpSeed(q: Queryable, userId: string, seedEnc: Uint8Array): Promise<void> {
  // A new seed invalidates the old one, so the replay guard restarts with it.
  await q.query(
    `INSERT INTO sam.otp (user_id, seed_enc, last_step) VALUES ($1, $2, 0)
     ON CONFLICT (user_id) DO UPDATE SET seed_enc = EXCLUDED.seed_enc, last_step = 0, created_at = now()`,
    [userId, Buffer.from(seedEnc)],
  );
}

export async function getOtpSeed(q: Queryable, userId: string): Promise<{ seedEnc: Uint8Array; lastStep: number } | null> {
  const { rows } = await q.query<{ seed_enc: Buffer; last_step: string }>(
    'SELECT seed_enc, last_step FROM sam.otp WHERE user_id = $1',
    [userId],
  );
  const r = rows[0];
  return r ? { seedEnc: new Uint8Array(r.seed_enc), lastStep: Number(r.last_step) } : null;
}

/**
 * A successful activation with an authenticator app: records `step` as used if it is later than every step used
 * before, and only then starts the failure counts again — the user's and the credential's (PIN and OTP), as
 * sam/store/credentials.ts resetFailures does — in one statement. False when the step is not later (a replay, or a
 * concurrent request that won the same step): nothing changed. The condition makes this atomic across instances.
 * The credential's row is locked first, as in reserveOtpAttempts, so that the two statements cannot deadlock.
 */
export async function claimOtpStepAndReset(q: Queryable, credentialId: string, userId: string, step: number): Promise<boolean> {
  const { rows } = await q.query<{ claimed: boolean }>(
    `WITH locked AS (SELECT 1 FROM sam.credentials WHERE credential_id = $1 FOR UPDATE),
          claim AS (UPDATE sam.otp SET last_step = $3, failures = 0
                     WHERE user_id = $2 AND last_step < $3 AND (SELECT count(*) FROM locked) >= 0 RETURNING 1),
          reset AS (UPDATE sam.credentials SET pin_failures = 0, otp_failures = 0
                     WHERE credential_id = $1 AND locked_at IS NULL AND EXISTS (SELECT 1 FROM claim) RETURNING 1)
     SELECT EXISTS (SELECT 1 FROM claim) AS claimed`,
    [credentialId, userId, step],
  );
  return rows[0]!.claimed;
}

/**
 * The OTP attempt of an authenticator-app activation, reserved on both counters in one statement: the credential's
 * (as sam/store/credentials.ts reserveAttempt does for factor 'otp') and, only if that one was reserved, the
 * user's, counted across all their credentials (issue #14 finding 7) and only while fewer than `max` failures are on
 * record, so that no code is judged once they are, until an admin unlocks one of the user's credentials. `user`
 * false with `credential` true: the caller takes the credential's reservation back. The credential's row is locked
 * before the user's, as in claimOtpStepAndReset, so that the two statements cannot deadlock.
 */
export async function reserveOtpAttempts(q: Queryable, credentialId: string, userId: string, max: number): Promise<{ credential: boolean; user: boolean }> {
  const { rows } = await q.query<{ credential: boolean; user: boolean }>(
    `WITH c AS (UPDATE sam.credentials SET otp_failures = otp_failures + 1
                 WHERE credential_id = $1 AND locked_at IS NULL AND otp_failures < $3 RETURNING 1),
          u AS (UPDATE sam.otp SET failures = failures + 1
                 WHERE user_id = $2 AND failures < $3 AND EXISTS (SELECT 1 FROM c) RETURNING 1)
     SELECT EXISTS (SELECT 1 FROM c) AS credential, EXISTS (SELECT 1 FROM u) AS user`,
    [credentialId, userId, max],
  );
  return rows[0]!;
}

/** The reserved attempt could not be judged (HSM or database trouble): it does not count. */
export async function releaseUserOtpAttempt(q: Queryable, userId: string): Promise<void> {
  await q.query('UPDATE sam.otp SET failures = greatest(failures - 1, 0) WHERE user_id = $1', [userId]);
}

/** A whole activation succeeded, or an admin unlocked one of the user's credentials. */
export async function resetUserOtpFailures(q: Queryable, userId: string): Promise<void> {
  await q.query('UPDATE sam.otp SET failures = 0 WHERE user_id = $1 AND failures > 0', [userId]);
}
