// Shared by the authz tests: a real PostgreSQL pool with the authz schema, a real Redis Kv under a random prefix,
// a logger whose lines are kept for assertions, and a helper that captures a CscError.
import { captureLogger } from '../../capture_logger.ts';
export { captureLogger } from '../../capture_logger.ts';
import { memoryAudit } from '../../unit/memory_audit.ts';
import { randomBytes } from 'node:crypto';
import { createLogin } from '../../../authz/login.ts';
import { loadConfig } from '../../../core/config.ts';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { CscError } from '../../../core/errors.ts';
import { createRedisKv, type Kv } from '../../../core/kv.ts';

export const rand = (n = 6) => randomBytes(n).toString('hex');

export async function openStores(): Promise<{ db: Db; kv: Kv; close(): Promise<void> }> {
  const db = createPool(process.env.DATABASE_URL!, 4);
  await migrate(db, ['authz']);
  const kv = await createRedisKv(process.env.REDIS_URL!, `test:authz:${rand()}:`);
  return {
    db,
    kv,
    async close() {
      await kv.close();
      await db.end();
    },
  };
}

/** authz wired to the real stores with a clock the test moves. */
export async function makeAuthz(db: Db, kv: Kv, env: Record<string, string> = {}) {
  const clock = { t: Date.now() };
  const { log, lines } = captureLogger();
  const config = loadConfig({ NODE_ENV: 'test', ...env });
  const audit = memoryAudit();
  const authz = await createLogin({ db, kv, config: config.authz, log, audit, now: () => clock.t });
  return { ...authz, clock, lines, config, audit };
}

export type Refusal = { code: string; status: number; body: { error: string; error_description: string }; headers: Record<string, string> };

export async function refusal(p: Promise<unknown>): Promise<Refusal> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CscError) return { code: err.code, status: err.status, body: err.toJSON(), headers: err.headers };
    throw err;
  }
  throw new Error('expected a CscError, the call succeeded');
}
