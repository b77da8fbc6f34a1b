// Deleting rows of single-use state once they no longer decide anything (expired tokens, SADs, codes, OAuth
// artefacts), so that the hot tables stay the size of their live rows. Each part deletes in its own schema
// (authz/purge.ts, sam/store/purge.ts, DESIGN §3); this file holds what they share and the timer that runs them.
import type { Db, DbClient } from './db.ts';
import type { Logger } from './log.ts';

type Queryable = Db | DbClient;

// 64-bit advisory lock key: "rssp-pur" as ASCII. One purger at a time across instances and cluster workers.
const PURGE_LOCK = '8247062268281386354';

/** Rows per DELETE: short statements, so a purge never holds many row locks or one long transaction. */
const BATCH = 5000;

/**
 * Deletes the rows of `table` matching `where` (parameters $1…), BATCH at a time, until none is left; returns how
 * many. `table` and `where` are code, never input.
 */
export async function deleteInBatches(db: Queryable, table: string, where: string, params: unknown[]): Promise<number> {
  let total = 0;
  for (;;) {
    const res = await db.query(`DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${where} LIMIT ${BATCH}))`, params);
    total += res.rowCount ?? 0;
    if ((res.rowCount ?? 0) < BATCH) return total;
  }
}

export type PurgeJob = (q: Queryable, now: Date) => Promise<Record<string, number>>;

/**
 * Runs every job shortly after start-up and then every `everyMs`, on one connection holding a session advisory lock:
 * when several instances (or cluster workers) share the database, one purges and the others skip that tick. A
 * failure is logged and the next tick tries again. Returns stop().
 */
export function schedulePurge(opts: { db: Db; everyMs: number; jobs: PurgeJob[]; log: Logger; now?: () => Date }): () => Promise<void> {
  let running: Promise<void> | null = null;
  const runJobs = async () => {
    const c = await opts.db.connect();
    try {
      const { rows } = await c.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [PURGE_LOCK]);
      if (!rows[0]!.got) return;
      try {
        for (const job of opts.jobs) {
          try {
            const deleted = await job(c, opts.now?.() ?? new Date());
            if (Object.values(deleted).some((n) => n > 0)) opts.log.info({ event: 'purge', deleted }, 'expired rows deleted');
          } catch (err) {
            opts.log.warn({ event: 'purge', err: (err as Error).message }, 'purge failed; the next tick retries');
          }
        }
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [PURGE_LOCK]);
      }
    } finally {
      c.release();
    }
  };
  const tick = () => {
    if (running) return;
    running = runJobs()
      .catch((err: unknown) => opts.log.warn({ event: 'purge', err: (err as Error).message }, 'purge failed; the next tick retries'))
      .finally(() => (running = null));
  };
  const timer = setInterval(tick, opts.everyMs);
  timer.unref();
  // The first run a little after start-up, not in the middle of it.
  const first = setTimeout(tick, Math.min(opts.everyMs, 30_000));
  first.unref();
  return async () => {
    clearInterval(timer);
    clearTimeout(first);
    await running;
  };
}
