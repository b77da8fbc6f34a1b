// Checkpoints: the head of the audit chain signed inside the HSM (issue #4 item 5). A chain can be rewritten from
// any row onwards by whoever can write the database, but not so that it still ends in a head the HSM signed
// before: the rewrite shows at the first checkpoint after the change. One is written every N records or every M
// minutes (whichever comes first, AUDIT_CHECKPOINT_RECORDS / AUDIT_CHECKPOINT_MINUTES), and on every export.
import { createHash } from 'node:crypto';
import { checkpointStatement, type AuditCheckpointLine } from '../../core/audit_chain.ts';
import type { Db } from '../../core/db.ts';
import type { Logger } from '../../core/log.ts';
import type { Hsm } from '../hsm/hsm.ts';
import type { AuditKey } from './audit_key.ts';
import { sealAudit } from './seal.ts';

type HeadRow = { seq: string; hash: string; last_seq: string | null; last_at: Date | null };

async function readHead(db: Db) {
  const { rows } = await db.query<HeadRow>(
    `SELECT h.seq, encode(h.hash, 'hex') AS hash, c.seq AS last_seq, c.at AS last_at
       FROM sam.audit_head h
       LEFT JOIN LATERAL (SELECT seq, at FROM sam.audit_checkpoints ORDER BY seq DESC LIMIT 1) c ON true`,
  );
  const r = rows[0]!;
  return { seq: Number(r.seq), hash: r.hash, lastSeq: r.last_seq === null ? 0 : Number(r.last_seq), lastAt: r.last_at };
}

/** Signs the current head unless a checkpoint already covers it. Several instances may race: the seq is the key,
 *  so the second insert of the same head is a no-op. */
export async function writeCheckpoint(db: Db, hsm: Hsm, key: AuditKey, now: Date = new Date()): Promise<AuditCheckpointLine | null> {
  await sealAudit(db);
  const head = await readHead(db);
  if (head.seq === 0 || head.seq <= head.lastSeq) return null;
  const c = { seq: head.seq, hash: head.hash, at: now.toISOString() };
  const digest = createHash('sha256').update(checkpointStatement(c)).digest();
  const signature = await hsm.signDigest(key.keyId, { kind: 'ecdsa' }, digest);
  await db.query(
    `INSERT INTO sam.audit_checkpoints (seq, hash, at, kid, signature) VALUES ($1, decode($2, 'hex'), $3, $4, $5)
     ON CONFLICT (seq) DO NOTHING`,
    [c.seq, c.hash, now, key.kid, Buffer.from(signature)],
  );
  return { type: 'checkpoint', ...c, kid: key.kid, signature: Buffer.from(signature).toString('base64') };
}

/** Polls the head (two small reads) and checkpoints when due. The timer does not keep the process alive. */
export function startCheckpointer(deps: {
  db: Db;
  hsm: Hsm;
  key: AuditKey;
  log: Logger;
  everyRecords: number;
  everyMinutes: number;
  now?: () => Date;
}): { stop(): void; tick(): Promise<void> } {
  const now = deps.now ?? (() => new Date());
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await sealAudit(deps.db); // whatever a write's own seal missed
      const head = await readHead(deps.db);
      const pending = head.seq - head.lastSeq;
      const age = head.lastAt ? now().getTime() - head.lastAt.getTime() : Number.POSITIVE_INFINITY;
      if (pending >= deps.everyRecords || (pending > 0 && age >= deps.everyMinutes * 60_000)) {
        const c = await writeCheckpoint(deps.db, deps.hsm, deps.key, now());
        if (c) deps.log.info({ event: 'audit.checkpoint', seq: c.seq }, 'audit checkpoint signed');
      }
    } catch (err) {
      // A missed checkpoint leaves records chained but unsigned for a while; the next tick tries again.
      deps.log.error({ event: 'audit.checkpoint', err }, 'audit checkpoint failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), Math.min(deps.everyMinutes * 60_000, 5_000));
  timer.unref();
  return { stop: () => clearInterval(timer), tick };
}
