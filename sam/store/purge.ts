// Expired single-use rows of the SAM (core/purge.ts). A SAD past its expiry is refused from its own `exp` before
// its row is read (sam/app/sign_hash.ts), so deleting the row changes no answer; the audit trail keeps its jti and
// hashes for good. A challenge row also counts towards the per-credential limit of codes sent
// (OTP_CHALLENGE_WINDOW_SECONDS): it stays until that window has passed too.
import { deleteInBatches } from '../../core/purge.ts';
import type { Db, DbClient } from '../../core/db.ts';

export async function purgeSam(db: Db | DbClient, p: { expiredBefore: Date; challengesBefore: Date }): Promise<Record<string, number>> {
  return {
    'sam.sads': await deleteInBatches(db, 'sam.sads', 'expires_at < $1', [p.expiredBefore]),
    'sam.approvals': await deleteInBatches(db, 'sam.approvals', 'expires_at < $1', [p.expiredBefore]),
    // An expired or used activation link answers as an unknown one: deleting it changes nothing but the space it took.
    'sam.activations': await deleteInBatches(db, 'sam.activations', 'expires_at < $1', [p.expiredBefore]),
    'sam.challenges': await deleteInBatches(db, 'sam.challenges', 'expires_at < $1 AND created_at < $2', [p.expiredBefore, p.challengesBefore]),
  };
}
