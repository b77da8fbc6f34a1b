// sam.sads: every SAD the SAM minted, what it still authorizes, and its consumption. PostgreSQL is the system of
// record for this single-use state (DESIGN §3): Redis could lose an acknowledged consumption on failover.
import { prepared } from '../../core/db.ts';
import { SamError } from '../../core/sam_port.ts';
import type { Queryable } from './queryable.ts';
import { takeFromMultiset } from './multiset.ts';

export type SadRecord = {
  jti: string;
  userId: string;
  clientId: string;
  credentialId: string;
  /** Hash algorithm OID bound at activation; null when the SAD authorized a count only (SCAL 1). */
  hashAlg: string | null;
  n: number;
  used: number;
  /** Hashes still signable; null for a count-only SAD. */
  hashes: Uint8Array[] | null;
  /** The list as minted, never updated (migration 010): what the SAD's `hsh` commits to. */
  authorized: Uint8Array[] | null;
  expiresAt: Date;
  revokedAt: Date | null;
};

export type SadRow = {
  jti: string;
  user_id: string;
  client_id: string;
  credential_id: string;
  hash_alg: string | null;
  n: number;
  used: number;
  hashes: Buffer[] | null;
  authorized: Buffer[] | null;
  expires_at: Date;
  revoked_at: Date | null;
};

export const SAD_COLUMNS = 'jti, user_id, client_id, credential_id, hash_alg, n, used, hashes, authorized, expires_at, revoked_at';

export function sadFromRow(r: SadRow): SadRecord {
  return {
    jti: r.jti,
    userId: r.user_id,
    clientId: r.client_id,
    credentialId: r.credential_id,
    hashAlg: r.hash_alg,
    n: r.n,
    used: r.used,
    hashes: r.hashes ? r.hashes.map((h) => new Uint8Array(h)) : null,
    authorized: r.authorized ? r.authorized.map((h) => new Uint8Array(h)) : null,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  };
}

/** The minted list goes in twice: as what is still signable, and as what the SAD's commitment covers.
 *  `alongside` (an audit append, given the number of its first parameter) runs in the same statement, as in
 *  consumeSeenSad: one statement, one round trip, and the SAD and its audit row commit together or not at all
 *  (activation used to take four round trips for this: BEGIN, the INSERT, the append, COMMIT). */
export async function insertSad(
  q: Queryable,
  s: Omit<SadRecord, 'used' | 'revokedAt' | 'authorized'>,
  alongside?: (firstParam: number) => { sql: string; params: unknown[] },
): Promise<void> {
  const insert = `INSERT INTO sam.sads (jti, user_id, client_id, credential_id, hash_alg, n, hashes, authorized, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::bytea[], $7::bytea[], $8)`;
  const values = [s.jti, s.userId, s.clientId, s.credentialId, s.hashAlg, s.n, s.hashes?.map((h) => Buffer.from(h)) ?? null, s.expiresAt];
  const also = alongside?.(values.length + 1);
  if (!also) {
    await q.query(insert, values);
    return;
  }
  const res = await q.query(prepared(`WITH minted AS (${insert} RETURNING jti) SELECT ${also.sql} FROM minted`, [...values, ...also.params]));
  // Fail closed: the append's row is the proof that it ran with the insert.
  if (res.rowCount !== 1) throw new Error('SAD row and its audit row not written together');
}

export async function getSad(q: Queryable, jti: string): Promise<SadRecord | null> {
  const { rows } = await q.query<SadRow>(`SELECT ${SAD_COLUMNS} FROM sam.sads WHERE jti = $1`, [jti]);
  return rows[0] ? sadFromRow(rows[0]) : null;
}

/** Revocation (token revocation, credential disabled by an admin): later signHash calls answer SAM_SAD_REVOKED. */
/** Revokes every unexpired SAD of `userId` minted through `clientId`; returns how many. */
export async function revokeSadsOf(q: Queryable, userId: string, clientId: string, now: Date): Promise<number> {
  const res = await q.query(
    'UPDATE sam.sads SET revoked_at = $3 WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL AND expires_at > $3',
    [userId, clientId, now],
  );
  return res.rowCount ?? 0;
}

export async function revokeSad(q: Queryable, jti: string, now: Date): Promise<boolean> {
  const res = await q.query('UPDATE sam.sads SET revoked_at = coalesce(revoked_at, $2) WHERE jti = $1', [jti, now]);
  return res.rowCount === 1;
}

/**
 * The consumption of `consumeSad` in one round trip instead of four (BEGIN, locked read, UPDATE, COMMIT), from the
 * row the caller read moments ago (signHash reads it for its checks anyway): one conditional UPDATE that applies
 * only if no consumption, revocation or expiry landed since — `used` moves with every consumption, and the hash list
 * only with it. `alongside` (an audit append, given the number of its first parameter) runs in the same statement, once, only if
 * the row was consumed: one statement is one transaction, so both commit or neither does (DESIGN §2.3). Returns
 * false when the row moved or the request would be refused, and then nothing was written; the caller takes
 * consumeSad, which re-checks everything under the lock and throws the exact refusal.
 */
export async function consumeSeenSad(
  q: Queryable,
  seen: SadRecord,
  requested: Uint8Array[],
  now: Date,
  alongside?: (firstParam: number) => { sql: string; params: unknown[] },
): Promise<boolean> {
  if (seen.revokedAt || seen.expiresAt.getTime() <= now.getTime()) return false;
  if (seen.used + requested.length > seen.n) return false;
  let remaining: Uint8Array[] | null = null;
  if (seen.hashes) {
    remaining = takeFromMultiset(seen.hashes, requested);
    if (!remaining) return false;
  }
  const update = `UPDATE sam.sads SET used = used + $2, hashes = $3::bytea[]
     WHERE jti = $1 AND used = $4 AND revoked_at IS NULL AND expires_at > $5`;
  const values = [seen.jti, requested.length, remaining?.map((h) => Buffer.from(h)) ?? null, seen.used, now];
  const also = alongside?.(values.length + 1);
  const res = also
    ? await q.query(prepared(`WITH consumed AS (${update} RETURNING jti) SELECT ${also.sql} FROM consumed`, [...values, ...also.params]))
    : await q.query(prepared(update, values));
  return res.rowCount === 1;
}

/**
 * Consumes `requested` from the SAD under a row lock. Must run inside a transaction (the caller's `tx()`), so
 * that the consumption commits together with its audit row, or not at all. Concurrent calls with the same SAD
 * serialize on the lock; each sees what the previous one left (DESIGN §2.3: N parallel calls, at most n
 * signatures).
 */
export async function consumeSad(
  q: Queryable,
  jti: string,
  requested: Uint8Array[],
  now: Date,
  /** Re-checks the locked row against the SAD token (the row may have been rewritten since the first read). */
  check: (sad: SadRecord) => void,
): Promise<SadRecord> {
  const { rows } = await q.query<SadRow>(`SELECT ${SAD_COLUMNS} FROM sam.sads WHERE jti = $1 FOR UPDATE`, [jti]);
  if (!rows[0]) throw new SamError('SAM_SAD_INVALID', 'unknown SAD');
  const sad = sadFromRow(rows[0]);
  check(sad);
  // Checked again under the lock: a revocation or expiry may have landed since the caller's first look.
  if (sad.revokedAt) throw new SamError('SAM_SAD_REVOKED');
  if (sad.expiresAt.getTime() <= now.getTime()) throw new SamError('SAM_SAD_EXPIRED');
  // Count first: a spent SAD says so, rather than calling every hash unauthorized.
  if (sad.used + requested.length > sad.n) throw new SamError('SAM_SAD_EXHAUSTED', `${sad.n - sad.used} signature(s) left`);
  let remaining: Uint8Array[] | null = null;
  if (sad.hashes) {
    remaining = takeFromMultiset(sad.hashes, requested);
    if (!remaining) throw new SamError('SAM_HASH_NOT_AUTHORIZED');
  }
  await q.query('UPDATE sam.sads SET used = used + $2, hashes = $3::bytea[] WHERE jti = $1', [
    jti,
    requested.length,
    remaining?.map((h) => Buffer.from(h)) ?? null,
  ]);
  return { ...sad, used: sad.used + requested.length, hashes: remaining };
}
