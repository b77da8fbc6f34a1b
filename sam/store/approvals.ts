// sam.approvals: pending asynchronous authorizations (CSC v2 §11.7). Every transition is a conditional UPDATE on
// the state, so two tabs approving at once, or a poll racing an approval, each see one outcome.
import type { Queryable } from './queryable.ts';

export type ApprovalState = 'pending' | 'deciding' | 'approved' | 'refused' | 'delivered';

export type ApprovalRecord = {
  id: string;
  userId: string;
  clientId: string;
  credentialId: string;
  numSignatures: number;
  hashAlg: string | null;
  hashes: Uint8Array[] | null;
  description: string | null;
  state: ApprovalState;
  sadExpiresAt: Date | null;
  createdAt: Date;
  expiresAt: Date;
};

type Row = {
  id: string;
  user_id: string;
  client_id: string;
  credential_id: string;
  num_signatures: number;
  hash_alg: string | null;
  hashes: Buffer[] | null;
  description: string | null;
  state: ApprovalState;
  sad_expires_at: Date | null;
  created_at: Date;
  expires_at: Date;
};

const COLUMNS = 'id, user_id, client_id, credential_id, num_signatures, hash_alg, hashes, description, state, sad_expires_at, created_at, expires_at';

const fromRow = (r: Row): ApprovalRecord => ({
  id: r.id,
  userId: r.user_id,
  clientId: r.client_id,
  credentialId: r.credential_id,
  numSignatures: r.num_signatures,
  hashAlg: r.hash_alg,
  hashes: r.hashes ? r.hashes.map((h) => new Uint8Array(h)) : null,
  description: r.description,
  state: r.state,
  sadExpiresAt: r.sad_expires_at,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

export async function insertApproval(
  q: Queryable,
  a: Omit<ApprovalRecord, 'id' | 'state' | 'sadExpiresAt'> & { handleHash: Buffer; linkHash: Buffer },
): Promise<void> {
  await q.query(
    `INSERT INTO sam.approvals (handle_hash, link_hash, user_id, client_id, credential_id, num_signatures, hash_alg, hashes,
                                description, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bytea[], $9, $10, $11)`,
    [
      a.handleHash,
      a.linkHash,
      a.userId,
      a.clientId,
      a.credentialId,
      a.numSignatures,
      a.hashAlg,
      a.hashes?.map((h) => Buffer.from(h)) ?? null,
      a.description,
      a.createdAt,
      a.expiresAt,
    ],
  );
}

/** A request whose link could not be sent: nobody can ever approve it, so it is not kept. */
export async function deleteApproval(q: Queryable, handleHash: Buffer): Promise<void> {
  await q.query(`DELETE FROM sam.approvals WHERE handle_hash = $1 AND state = 'pending'`, [handleHash]);
}

export async function approvalByHandle(q: Queryable, handleHash: Buffer): Promise<ApprovalRecord | null> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM sam.approvals WHERE handle_hash = $1`, [handleHash]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function approvalByLink(q: Queryable, linkHash: Buffer): Promise<ApprovalRecord | null> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM sam.approvals WHERE link_hash = $1`, [linkHash]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** pending → deciding, while unexpired; false when someone else decides or it expired. */
export async function claimForDecision(q: Queryable, id: string, now: Date): Promise<boolean> {
  const res = await q.query(`UPDATE sam.approvals SET state = 'deciding' WHERE id = $1 AND state = 'pending' AND expires_at > $2`, [id, now]);
  return res.rowCount === 1;
}

/** deciding → pending again (wrong factors: the person may try again until the request expires or the lock). */
export async function releaseDecision(q: Queryable, id: string): Promise<void> {
  await q.query(`UPDATE sam.approvals SET state = 'pending' WHERE id = $1 AND state = 'deciding'`, [id]);
}

export async function markApproved(q: Queryable, id: string, sad: string, sadExpiresAt: Date, now: Date): Promise<void> {
  await q.query(
    `UPDATE sam.approvals SET state = 'approved', sad = $2, sad_expires_at = $3, decided_at = $4 WHERE id = $1 AND state = 'deciding'`,
    [id, sad, sadExpiresAt, now],
  );
}

export async function markRefused(q: Queryable, id: string, now: Date): Promise<boolean> {
  const res = await q.query(
    `UPDATE sam.approvals SET state = 'refused', decided_at = $2 WHERE id = $1 AND state = 'pending' AND expires_at > $2`,
    [id, now],
  );
  return res.rowCount === 1;
}

/** approved → delivered, handing out the SAD once and forgetting it. */
export async function takeSad(q: Queryable, id: string): Promise<{ sad: string; expiresAt: Date } | null> {
  const { rows } = await q.query<{ sad: string; sad_expires_at: Date }>(
    `UPDATE sam.approvals a SET state = 'delivered', sad = NULL
       FROM (SELECT id, sad, sad_expires_at FROM sam.approvals WHERE id = $1 AND state = 'approved' FOR UPDATE) old
      WHERE a.id = old.id
      RETURNING old.sad, old.sad_expires_at`,
    [id],
  );
  return rows[0] ? { sad: rows[0].sad, expiresAt: rows[0].sad_expires_at } : null;
}
