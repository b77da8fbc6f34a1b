// Deleting a credential (CSC v2.2 credentials/delete; ETSI TS 119 432 maps it): the key pair is destroyed in the
// token and the binding removed, in one transaction with its audit row. The key objects go first, inside the
// transaction: if the token refuses, nothing is committed and the credential stays whole (the caller may retry); if
// the commit fails after the key is gone, the row names a key that no longer exists, signing with it fails closed,
// and a retried deletion finds 0 objects and removes the row.
//
// The same path deletes one-time credentials once spent (sign_hash.ts) or expired (purgeExpiredOneTime).
import { tx } from '../../core/db.ts';
import { SamError, type SignatureActivation } from '../../core/sam_port.ts';
import { auditFailure, writeAudit, type AuditDraft } from '../audit/audit_log.ts';
import { expiredOneTime, removeCredential } from '../store/credentials.ts';
import type { SamDeps } from './deps.ts';
import { hsmCall } from './hsm_errors.ts';

type DeleteCmd = Parameters<SignatureActivation['deleteCredential']>[0];

/** Why a credential's key was destroyed, in its audit row. */
export type DeletionReason = 'request' | 'one-time-used' | 'one-time-expired';

export async function deleteCredential(deps: SamDeps, cmd: DeleteCmd, reason: DeletionReason = 'request'): Promise<{ destroyedObjects: number }> {
  const draft: AuditDraft = { event: 'credential.delete', ctx: cmd.ctx, credentialId: cmd.credentialID, userId: cmd.ownerId, detail: { reason } };
  try {
    const destroyedObjects = await tx(deps.db, async (c) => {
      const removed = await removeCredential(c, cmd.credentialID); // the row stays locked until the commit
      if (!removed) throw new SamError('SAM_CREDENTIAL_UNKNOWN');
      if (cmd.ownerId !== undefined && removed.ownerId !== cmd.ownerId) throw new SamError('SAM_NOT_OWNER');
      draft.userId = removed.ownerId;
      const n = await hsmCall(() => deps.hsm.destroyKeyPair(removed.keyId));
      draft.detail = { reason, destroyedObjects: n };
      await writeAudit(c, draft, 'ok');
      return n;
    });
    deps.log.info({ event: 'sam.credential.delete', credentialID: cmd.credentialID, reason, destroyedObjects, requestId: cmd.ctx.requestId }, 'credential deleted');
    return { destroyedObjects };
  } catch (err) {
    await auditFailure(deps.db, deps.log, draft, err);
    throw err;
  }
}

/** Deletes every one-time credential whose certificate has expired; returns how many. Run by the SAM's timer. */
export async function purgeExpiredOneTime(deps: SamDeps, requestId: string): Promise<number> {
  let deleted = 0;
  for (const credentialID of await expiredOneTime(deps.db, deps.now(), 100)) {
    try {
      await deleteCredential(deps, { ctx: { requestId }, credentialID }, 'one-time-expired');
      deleted++;
    } catch (err) {
      // Deleted meanwhile (spent by a signature): nothing left to do. Anything else waits for the next tick.
      if ((err as SamError).code !== 'SAM_CREDENTIAL_UNKNOWN') {
        deps.log.warn({ event: 'sam.credential.purge', credentialID, err: (err as Error).message }, 'expired one-time credential not deleted');
      }
    }
  }
  return deleted;
}
