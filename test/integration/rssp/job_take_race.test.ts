// signPolling's take (CSC v2 §11.12) when the worker finishes the job between the two queries of a poll: the result
// is handed out, not "Invalid parameter requestID" (it was, when signDoc B-LT jobs made that window wider).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { JobStore } from '../../../rssp/jobs/job_store.ts';

let db: Db;

beforeAll(async () => {
  db = createPool(process.env.DATABASE_URL!, 2);
  await migrate(db);
});

afterAll(async () => {
  await db?.end();
});

it('a job that finishes between the DELETE and the SELECT of a poll is taken by that poll', async () => {
  const queue = `race-${randomUUID()}`;
  const worker = new JobStore(db, queue);
  const owner = { userId: `u-${randomUUID()}`, clientId: 'app' };
  const id = await worker.enqueue({ kind: 'signatures/signDoc', owner, input: {}, sad: 'sad', request: { requestId: randomUUID() }, validityMs: 60_000 });
  const [claimed] = await worker.claim({ limit: 1, leaseSeconds: 30, maxAttempts: 3 });
  expect(claimed!.id).toBe(id);
  // The poll's first query finds nothing finished; the worker then finishes before the poll's second query.
  let finishedMeanwhile = false;
  const racing = {
    ...db,
    query: async (text: string, params?: unknown[]) => {
      if (!finishedMeanwhile && /^\s*SELECT/.test(text)) {
        finishedMeanwhile = await worker.finish(claimed!, { state: 'done', body: { SignatureObject: ['MA=='] } });
      }
      return db.query(text, params as never);
    },
  } as Db;
  const poll = await new JobStore(racing, queue).take(id, owner);
  expect(finishedMeanwhile).toBe(true);
  expect(poll).toEqual({ state: 'done', body: { SignatureObject: ['MA=='] } });
  expect(await worker.take(id, owner)).toEqual({ state: 'none' });
});
