// sam.activations: single-use activation links (issue #14 finding 1, migration 016). Every transition is a
// conditional UPDATE, so two tabs redeeming one link at once, or a redemption racing its expiry, each see one outcome.
import { getCredential, updateSealed, type CredentialSeal } from './credentials.ts';
import type { Queryable } from './queryable.ts';

export type ActivationRecord = {
  id: string;
  tokenHash: Uint8Array;
  userId: string;
  accountName: string;
  credentialIds: string[];
  seedEnc: Uint8Array | null;
  failures: number;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
};

type Row = {
  id: string;
  token_hash: Buffer;
  user_id: string;
  account_name: string;
  credential_ids: string[];
  seed_enc: Buffer | null;
  failures: number;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
};

const fromRow = (r: Row): ActivationRecord => ({
  id: r.id,
  tokenHash: new Uint8Array(r.token_hash),
  userId: r.user_id,
  accountName: r.account_name,
  credentialIds: r.credential_ids,
  seedEnc: r.seed_enc ? new Uint8Array(r.seed_enc) : null,
  failures: r.failures,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
});

export async function insertActivation(
  q: Queryable,
  a: { tokenHash: Uint8Array; userId: string; accountName: string; credentialIds: string[]; seedEnc: Uint8Array | null; createdAt: Date; expiresAt: Date },
): Promise<string> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO sam.activations (token_hash, user_id, account_name, credential_ids, seed_enc, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [Buffer.from(a.tokenHash), a.userId, a.accountName, a.credentialIds, a.seedEnc ? Buffer.from(a.seedEnc) : null, a.createdAt, a.expiresAt],
  );
  return rows[0]!.id;
}

export async function deleteActivation(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM sam.activations WHERE id = $1', [id]);
}

/** The lookup is by the SHA-256 of the secret, an equality on a unique index: no comparison of the secret itself
 *  runs in the process, so there is nothing to time (the database compares digests of random 32-byte values). */
export async function activationByToken(q: Queryable, tokenHash: Uint8Array): Promise<ActivationRecord | null> {
  const { rows } = await q.query<Row>(
    'SELECT id, token_hash, user_id, account_name, credential_ids, seed_enc, failures, created_at, expires_at, used_at FROM sam.activations WHERE token_hash = $1',
    [Buffer.from(tokenHash)],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Counts a confirmation code as wrong before it is judged, while the link is open and below `max` (parallel guesses
 *  cannot outrun the limit). False: the link is used, expired or spent. */
export async function reserveActivationAttempt(q: Queryable, id: string, max: number, now: Date): Promise<boolean> {
  const res = await q.query(
    'UPDATE sam.activations SET failures = failures + 1 WHERE id = $1 AND used_at IS NULL AND expires_at > $3 AND failures < $2',
    [id, max, now],
  );
  return res.rowCount === 1;
}

/** The reserved attempt could not be judged (HSM trouble): it does not count. */
export async function releaseActivationAttempt(q: Queryable, id: string): Promise<void> {
  await q.query('UPDATE sam.activations SET failures = greatest(failures - 1, 0) WHERE id = $1', [id]);
}

/** Spends the link; false when it was already used or has expired. Run in the transaction that stores the factors. */
export async function spendActivation(q: Queryable, id: string, now: Date): Promise<boolean> {
  const res = await q.query('UPDATE sam.activations SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2', [id, now]);
  return res.rowCount === 1;
}

/** The PIN chosen by the owner for their credentials, each row sealed anew (sam/app/credential_seal.ts); the failure
 *  counters start again with it. Only the owner's own credentials are changed. */
export async function setOwnersPin(q: Queryable, seal: CredentialSeal, userId: string, credentialIds: string[], pinHash: string): Promise<number> {
  let n = 0;
  for (const id of credentialIds) {
    const cred = await getCredential(q, seal, id);
    if (!cred || cred.ownerId !== userId) continue;
    if (await updateSealed(q, seal, id, { pinHash, pinPending: false })) n++;
  }
  await q.query('UPDATE sam.credentials SET pin_failures = 0, otp_failures = 0 WHERE credential_id = ANY($2::text[]) AND owner_id = $1', [
    userId,
    credentialIds,
  ]);
  return n;
}
