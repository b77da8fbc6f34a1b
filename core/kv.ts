// The small key-value interface for data that may be lost (DESIGN §3): rate-limit windows, caches,
// notifications. Redis in production; an in-process map under embedded defaults. Nothing whose loss could allow
// a replay may live here.
import { createClient } from 'redis';

export interface Kv {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Adds `by` (default 1, may be negative) to a counter, creating it with the given TTL; returns the new value. */
  incr(key: string, ttlSeconds: number, by?: number): Promise<number>;
  close(): Promise<void>;
}

/** A Redis command without an answer after this fails: a caller waits no longer than that for data it may lose. */
const COMMAND_TIMEOUT_MS = 2000;

function bounded<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer in ${COMMAND_TIMEOUT_MS} ms`)), COMMAND_TIMEOUT_MS);
    }),
  ]);
}

export async function createRedisKv(url: string, prefix = 'rssp:'): Promise<Kv> {
  const client = createClient({
    url,
    // While Redis is away, commands fail at once instead of queueing until it is back (a request would hang): the
    // callers decide, failing closed where a limit protects factors (core/policy.ts).
    disableOfflineQueue: true,
    socket: { connectTimeout: COMMAND_TIMEOUT_MS, reconnectStrategy: (n) => Math.min(n * 100, 1000) },
  });
  client.on('error', () => {}); // reconnects on its own; callers see failures on their commands
  await client.connect();
  return {
    get: (k) => bounded(client.get(prefix + k)),
    async set(k, v, ttl) {
      await bounded(client.set(prefix + k, v, { expiration: { type: 'EX', value: ttl } }));
    },
    async del(k) {
      await bounded(client.del(prefix + k));
    },
    async incr(k, ttl, by = 1) {
      const [n] = await bounded(client.multi().incrBy(prefix + k, by).expire(prefix + k, ttl, 'NX').exec());
      return Number(n);
    },
    async close() {
      await client.quit().catch(() => client.destroy());
    },
  };
}

export function createMemoryKv(now: () => number = Date.now): Kv {
  const map = new Map<string, { v: string; exp: number }>();
  const live = (k: string) => {
    const e = map.get(k);
    if (e && e.exp <= now()) map.delete(k);
    return map.get(k);
  };
  return {
    async get(k) {
      return live(k)?.v ?? null;
    },
    async set(k, v, ttl) {
      map.set(k, { v, exp: now() + ttl * 1000 });
    },
    async del(k) {
      map.delete(k);
    },
    async incr(k, ttl, by = 1) {
      const e = live(k);
      const n = (e ? Number(e.v) : 0) + by;
      map.set(k, { v: String(n), exp: e?.exp ?? now() + ttl * 1000 });
      return n;
    },
    async close() {
      map.clear();
    },
  };
}
