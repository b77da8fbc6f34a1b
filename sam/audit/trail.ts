// The AuditTrail port (core/audit_port.ts) over the SAM's chained table: security events of other parts, export
// with a fresh checkpoint, and signature evidence. Built once by the SAM's door (sam/index.ts), which also stops its
// checkpoint timer on shutdown.
import type { AuditTrail } from '../../core/audit_port.ts';
import type { Db } from '../../core/db.ts';
import type { Logger } from '../../core/log.ts';
import type { Hsm } from '../hsm/hsm.ts';
import { fileAnchor } from './anchor_file.ts';
import { ensureAuditKey } from './audit_key.ts';
import { writeAudit } from './audit_log.ts';
import { startCheckpointer, writeCheckpoint, type CheckpointStamp } from './checkpoints.ts';
import type { Tsa } from '../tsa/tsa.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
import { findEvidence } from './evidence.ts';
import { exportAuditLines } from './export.ts';
import { installSealer } from './seal.ts';

export async function createAuditTrail(deps: {
  db: Db;
  hsm: Hsm;
  log: Logger;
  config: { checkpointRecords: number; checkpointMinutes: number; anchorFile: string };
  now?: () => Date;
  /** Time-stamps each checkpoint (RFC 3161, issue #14 finding 2). Absent: checkpoints carry no timestamp. */
  tsa?: Tsa;
}): Promise<AuditTrail & { checkpoint(): Promise<void>; close(): Promise<void> }> {
  const now = deps.now ?? (() => new Date());
  const key = await ensureAuditKey(deps.hsm);
  const uninstallSealer = installSealer(deps.db, deps.log);
  const anchor = fileAnchor(deps.config.anchorFile);
  const tsa = deps.tsa;
  const stamp: CheckpointStamp | undefined = tsa
    ? async (digest) => {
        try {
          return (await tsa.timestamp({ hashAlgorithmOID: SHA256, digest })).token;
        } catch (err) {
          // The checkpoint stands on its own signature; it only lacks the second witness. Logged loudly.
          deps.log.error({ event: 'audit.checkpoint.timestamp', err: (err as Error).message }, 'checkpoint written without a timestamp');
          return null;
        }
      }
    : undefined;
  const checkpoint = () => writeCheckpoint(deps.db, deps.hsm, key, now(), anchor, stamp);
  const timer = startCheckpointer({
    db: deps.db,
    hsm: deps.hsm,
    key,
    log: deps.log,
    everyRecords: deps.config.checkpointRecords,
    everyMinutes: deps.config.checkpointMinutes,
    anchor,
    stamp,
    now,
  });
  return {
    async record(e) {
      await writeAudit(
        deps.db,
        { event: e.event, ctx: e.ctx, userId: e.userId, clientId: e.clientId, credentialId: e.credentialID, detail: e.detail },
        e.result,
        e.errorCode,
      );
    },
    async *export(filter) {
      // Everything written so far gets signed first, so that the whole export is covered by a checkpoint. Without
      // the HSM the export still goes out: it verifies up to the last checkpoint, and the verdict says so
      // (signedUpTo).
      await checkpoint().catch((err: unknown) =>
        deps.log.error({ event: 'audit.checkpoint', err: (err as Error).message }, 'no fresh checkpoint for the export'),
      );
      yield* exportAuditLines(deps.db, [key], filter, now(), tsa?.certificates() ?? []);
    },
    evidence: (q) => findEvidence(deps.db, q),
    checkpoint: async () => void (await checkpoint()),
    async close() {
      timer.stop();
      uninstallSealer();
    },
  };
}
