// Sealing: chaining committed audit rows (sam.audit_seal(), sam/migrations/005_audit_seal.sql, and since 019 as
// links in sam.audit_link, the record rows untouched). Appends take no
// lock, so that audited transactions commit in parallel; the rows they wrote are chained here, after commit, in
// one short transaction per batch. A write schedules a seal 50 ms later (coalescing the writes of many requests
// into one round trip, outside any request's transaction: at 10 ms a seal took 1.5–7 rows, at 50 ms about 14, and
// each call costs PostgreSQL a transaction and a WAL flush; docs/performance.md); the checkpoint timer, exports and
// evidence lookups seal too, so nothing stays unsealed for longer than a timer tick.
import type { Db } from '../../core/db.ts';
import type { Logger } from '../../core/log.ts';

/** Seals until no other sealer is in the way; returns the rows this call chained. */
export async function sealAudit(db: Db): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const { rows } = await db.query<{ n: number }>('SELECT sam.audit_seal() AS n');
    const n = rows[0]!.n;
    // -1: another sealer holds the lock (another instance, or this one's timer). It may have started before our
    // rows committed, so try again shortly rather than leave them for the next tick.
    if (n >= 0 || attempt >= 50) return Math.max(n, 0);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let scheduled: (() => void) | null = null;

/** Called by writeAudit after every append: a no-op until the audit trail (trail.ts) installs a sealer. */
export function sealSoon(): void {
  scheduled?.();
}

/** Installs the process's coalescing sealer on `db`; returns a function that uninstalls it. */
export function installSealer(db: Db, log: Logger, delayMs = 50): () => void {
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let again = false;
  const run = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await sealAudit(db);
    } catch (err) {
      log.error({ event: 'audit.seal', err: (err as Error).message }, 'audit rows not sealed; the next tick retries');
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (!timer) {
      timer = setTimeout(() => void run(), delayMs);
      timer.unref();
    }
  };
  scheduled = schedule;
  return () => {
    if (scheduled === schedule) scheduled = null;
    if (timer) clearTimeout(timer);
  };
}
