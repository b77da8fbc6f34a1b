// Transaction extension in sam.sads (CSC v2 §11.9): the SAD being extended is read under a row lock, its successor
// is inserted naming it (parent_jti) and keeping the start of the transaction (origin_at), and the old one is
// revoked, all in the caller's transaction. One SAD can therefore be extended once: a second, parallel extension
// of the same SAD waits on the lock and then finds it revoked.
import type { Queryable } from './queryable.ts';
import { SAD_COLUMNS, type SadRecord, type SadRow, sadFromRow } from './sads.ts';

/** A SAD as extension reads it: its record plus the start of its transaction; null for a SAD minted by
 *  credentials/authorize (its iat is the start). */
export type ExtendableSad = SadRecord & { originAt: Date | null };

type Row = SadRow & { origin_at: Date | null };

export async function lockSadForExtension(q: Queryable, jti: string): Promise<ExtendableSad | null> {
  const { rows } = await q.query<Row>(`SELECT ${SAD_COLUMNS}, origin_at FROM sam.sads WHERE jti = $1 FOR UPDATE`, [jti]);
  const r = rows[0];
  return r ? { ...sadFromRow(r), originAt: r.origin_at } : null;
}

/** Inserts the successor and revokes its parent (superseded: what it still authorized now belongs to the child). */
export async function supersedeSad(
  q: Queryable,
  parentJti: string,
  child: { jti: string; userId: string; clientId: string; credentialId: string; hashAlg: string | null; n: number; hashes: Uint8Array[] | null; expiresAt: Date; originAt: Date },
  now: Date,
): Promise<void> {
  await q.query(
    `INSERT INTO sam.sads (jti, user_id, client_id, credential_id, hash_alg, n, hashes, authorized, expires_at, parent_jti, origin_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::bytea[], $7::bytea[], $8, $9, $10)`,
    [
      child.jti,
      child.userId,
      child.clientId,
      child.credentialId,
      child.hashAlg,
      child.n,
      child.hashes?.map((h) => Buffer.from(h)) ?? null,
      child.expiresAt,
      parentJti,
      child.originAt,
    ],
  );
  await q.query('UPDATE sam.sads SET revoked_at = coalesce(revoked_at, $2) WHERE jti = $1', [parentJti, now]);
}
