// sam.challenges: one-time passwords sent out of band (CSC v2 §11.8). Only a slow hash of each code is kept; a
// code is claimed by a conditional UPDATE, so it is accepted once even by parallel requests on several instances.
import type { OtpChannel } from '../../core/sam_port.ts';
import type { Queryable } from './queryable.ts';

export type LiveChallenge = { id: string; codeHash: string };

/** Serializes challenges of one credential (the rate limit counts, then inserts). Inside a transaction. */
export async function lockCredentialForChallenge(q: Queryable, credentialId: string): Promise<void> {
  await q.query('SELECT 1 FROM sam.credentials WHERE credential_id = $1 FOR UPDATE', [credentialId]);
}

/** Challenges sent since `since`, oldest first: their count against the limit, the oldest to tell when a slot frees. */
export async function challengesSince(q: Queryable, credentialId: string, since: Date): Promise<Date[]> {
  const { rows } = await q.query<{ created_at: Date }>(
    'SELECT created_at FROM sam.challenges WHERE credential_id = $1 AND created_at > $2 ORDER BY created_at',
    [credentialId, since],
  );
  return rows.map((r) => r.created_at);
}

/** Reserves a challenge before its code is sent: it counts against the limit, but cannot be used until delivered. */
export async function reserveChallenge(
  q: Queryable,
  c: { credentialId: string; userId: string; channel: Exclude<OtpChannel, 'totp'>; codeHash: string; createdAt: Date; expiresAt: Date },
): Promise<string> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO sam.challenges (credential_id, user_id, channel, code_hash, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [c.credentialId, c.userId, c.channel, c.codeHash, c.createdAt, c.expiresAt],
  );
  return rows[0]!.id;
}

/** The code of `id` reached its channel: it becomes the credential's one live code, superseding any delivered before. */
export async function markDelivered(q: Queryable, credentialId: string, id: string, now: Date): Promise<void> {
  await q.query(
    `UPDATE sam.challenges SET superseded_at = $3
      WHERE credential_id = $1 AND id <> $2 AND delivered_at IS NOT NULL AND used_at IS NULL AND superseded_at IS NULL`,
    [credentialId, id, now],
  );
  await q.query('UPDATE sam.challenges SET delivered_at = $2 WHERE id = $1', [id, now]);
}

/** A reservation whose code could not be handed over: neither counted nor usable. */
export async function dropChallenge(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM sam.challenges WHERE id = $1 AND delivered_at IS NULL', [id]);
}

/** The one code of the credential that may still be used at `now`, if any. */
export async function liveChallenge(q: Queryable, credentialId: string, now: Date): Promise<LiveChallenge | null> {
  const { rows } = await q.query<{ id: string; code_hash: string }>(
    `SELECT id, code_hash FROM sam.challenges
      WHERE credential_id = $1 AND delivered_at IS NOT NULL AND used_at IS NULL AND superseded_at IS NULL AND expires_at > $2
      ORDER BY delivered_at DESC LIMIT 1`,
    [credentialId, now],
  );
  return rows[0] ? { id: rows[0].id, codeHash: rows[0].code_hash } : null;
}

/** Marks the code used; false when another request used it first (or it expired meanwhile). */
export async function claimChallenge(q: Queryable, id: string, now: Date): Promise<boolean> {
  const res = await q.query(
    `UPDATE sam.challenges SET used_at = $2
      WHERE id = $1 AND delivered_at IS NOT NULL AND used_at IS NULL AND superseded_at IS NULL AND expires_at > $2`,
    [id, now],
  );
  return res.rowCount === 1;
}
