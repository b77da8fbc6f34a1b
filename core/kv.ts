// The small key-value interface for data that may be lost (DESIGN §3): rate-limit windows, caches,
// notifications. Redis in production; an in-process map under embedded defaults. Nothing whose loss could allow
// a replay may live here.
import { createClient } from 'redis';

export interface Kv {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Increments a counter, creating it with the given TTL; returns the new value. */
  incr(key: string, ttlSeconds: number): Promise<number>;
  close(): Promise<void>;
}

export async function createRedisKv(url: string, prefix = 'rssp:'): Promise<Kv> {
  const client = createClient({ url, socket: { reconnectStrategy: (n) => Math.min(n * 100, 2000) } });
  client.on('error', () => {}); // reconnects on its own; callers see failures on their commands
  await client.connect();
  return {
    get: (k) => client.get(prefix + k),
    async set(k, v, ttl) {
      await client.set(prefix + k, v, { expiration: { type: 'EX', value: ttl } });
    },
    async del(k) {
      await client.del(prefix + k);
    },
    async incr(k, ttl) {
      const [n] = await client.multi().incr(prefix + k).expire(prefix + k, ttl, 'NX').exec();
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
    async incr(k, ttl) {
      const e = live(k);
      const n = (e ? Number(e.v) : 0) + 1;
      map.set(k, { v: String(n), exp: e?.exp ?? now() + ttl * 1000 });
      return n;
    },
    async close() {
      map.clear();
    },
  };
}
