// Checkpoints: the head of the audit chain signed inside the HSM (issue #4 item 5). A chain can be rewritten from
// any row onwards by whoever can write the database, but not so that it still ends in a head the HSM signed
// before: the rewrite shows at the first checkpoint after the change. One is written every N records or every M
// minutes (whichever comes first, AUDIT_CHECKPOINT_RECORDS / AUDIT_CHECKPOINT_MINUTES), and on every export. Each
// checkpoint also signs its predecessor (migration 014), so none can be removed from the middle; the newest ones can
// be removed only where no copy was kept outside the database (AUDIT_ANCHOR_FILE, sam/audit/anchor_file.ts).
import { createHash } from 'node:crypto';
import { checkpointDigest, checkpointStatement, type AuditCheckpointLine } from '../../core/audit_chain.ts';
import { tx, type Db, type DbClient } from '../../core/db.ts';
import type { Logger } from '../../core/log.ts';
import type { Hsm } from '../hsm/hsm.ts';
import type { AuditKey } from './audit_key.ts';
import { CHECKPOINT_COLUMNS, toCheckpointLine, type CheckpointRow } from './export.ts';
import { sealAudit } from './seal.ts';

type HeadRow = { seq: string; hash: string; last_seq: string | null; last_at: Date | null };

async function readHead(db: Db | DbClient) {
  const { rows } = await db.query<HeadRow>(
    `SELECT h.seq, encode(h.hash, 'hex') AS hash, c.seq AS last_seq, c.at AS last_at
       FROM sam.audit_head h
       LEFT JOIN LATERAL (SELECT seq, at FROM sam.audit_checkpoints ORDER BY seq DESC LIMIT 1) c ON true`,
  );
  const r = rows[0]!;
  return { seq: Number(r.seq), hash: r.hash, lastSeq: r.last_seq === null ? 0 : Number(r.last_seq), lastAt: r.last_at };
}

/** The newest checkpoint, as a successor names it: its seq and the digest of its statement (none: 0 and zeros). */
async function predecessor(c: DbClient): Promise<{ prevSeq: number; prev: string }> {
  const { rows } = await c.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM sam.audit_checkpoints ORDER BY audit_checkpoints.seq DESC LIMIT 1`);
  if (rows.length === 0) return { prevSeq: 0, prev: '0'.repeat(64) };
  const last = toCheckpointLine(rows[0]!);
  return { prevSeq: last.seq, prev: checkpointDigest(last) };
}

/** Where a checkpoint goes besides the database (sam/audit/anchor_file.ts). */
export type CheckpointAnchor = (line: AuditCheckpointLine) => Promise<void>;

/** A TimeStampToken (DER) over a checkpoint's statement digest, or null when none could be had (the TSA is down:
 *  the checkpoint stands without it, and the failure is logged by whoever made this function). */
export type CheckpointStamp = (statementDigest: Uint8Array) => Promise<Uint8Array | null>;

/** Signs the current head unless a checkpoint already covers it, naming the checkpoint before it. Writers of
 *  checkpoints take turns (a transaction-scoped advisory lock), so that two instances never both chain onto the same
 *  predecessor. After the row commits, the checkpoint is handed to `anchor` (if any). */
export async function writeCheckpoint(
  db: Db,
  hsm: Hsm,
  key: AuditKey,
  now: Date = new Date(),
  anchor?: CheckpointAnchor,
  stamp?: CheckpointStamp,
): Promise<AuditCheckpointLine | null> {
  await sealAudit(db);
  const line = await tx(db, async (c) => {
    // 64-bit advisory key: "rssp-cpt" as ASCII.
    await c.query('SELECT pg_advisory_xact_lock(8247062268281664628)');
    const head = await readHead(c);
    if (head.seq === 0 || head.seq <= head.lastSeq) return null;
    const content = { seq: head.seq, hash: head.hash, at: now.toISOString(), ...(await predecessor(c)) };
    const digest = createHash('sha256').update(checkpointStatement(content)).digest();
    const signature = Buffer.from(await hsm.signDigest(key.keyId, { kind: 'ecdsa' }, digest));
    // Issue #14 finding 2: a TSA's timestamp over the statement anchors the checkpoint in time outside the database.
    // Asked before the row is written, so that the row, every export and the anchor carry the same token (a token
    // added later would be missing from an export taken in between). An external TSA's timeout bounds how long the
    // lock is held; a TSA that fails leaves the checkpoint without a token (`stamp` returns null and logs).
    const token = stamp ? await stamp(new Uint8Array(digest)) : null;
    await c.query(
      `INSERT INTO sam.audit_checkpoints (seq, hash, at, kid, signature, prev_seq, prev, timestamp_token)
       VALUES ($1, decode($2, 'hex'), $3, $4, $5, $6, decode($7, 'hex'), $8)`,
      [content.seq, content.hash, now, key.kid, signature, content.prevSeq, content.prev, token ? Buffer.from(token) : null],
    );
    const l: AuditCheckpointLine = {
      type: 'checkpoint',
      ...content,
      kid: key.kid,
      signature: signature.toString('base64'),
      ...(token ? { timestamp: Buffer.from(token).toString('base64') } : {}),
    };
    return l;
  });
  if (line && anchor) await anchor(line);
  return line;
}

/** Polls the head (two small reads) and checkpoints when due. The timer does not keep the process alive. */
export function startCheckpointer(deps: {
  db: Db;
  hsm: Hsm;
  key: AuditKey;
  log: Logger;
  everyRecords: number;
  everyMinutes: number;
  anchor?: CheckpointAnchor;
  stamp?: CheckpointStamp;
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
        const c = await writeCheckpoint(deps.db, deps.hsm, deps.key, now(), deps.anchor, deps.stamp);
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
