// The jti of every DPoP proof the CSC API accepted, until the proof's iat leaves the window (RFC 9449 §11.1;
// rssp/migrations/004_dpop_proofs.sql). First use wins on the primary key: two instances that receive the same
// proof at once cannot both accept it.
import type { Db, DbClient } from '../../core/db.ts';
import { deleteInBatches } from '../../core/purge.ts';
import type { DpopProofLedger } from '../http/deps.ts';

export class PgDpopProofLedger implements DpopProofLedger {
  constructor(private readonly db: Db) {}

  async firstUse(p: { jkt: string; jti: string; expiresAt: Date }): Promise<boolean> {
    const res = await this.db.query(
      'INSERT INTO rssp.dpop_proofs (jkt, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT (jkt, jti) DO NOTHING',
      [p.jkt, p.jti, p.expiresAt],
    );
    return res.rowCount === 1;
  }
}

/** Rows of proofs whose iat has left the window: such a proof is refused on its iat, the row decides nothing. */
export async function purgeDpopProofs(db: Db | DbClient, now: Date): Promise<Record<string, number>> {
  return { 'rssp.dpop_proofs': await deleteInBatches(db, 'rssp.dpop_proofs', 'expires_at < $1', [now]) };
}
