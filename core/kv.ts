// The small key-value interface for data that may be lost (DESIGN §3): rate-limit windows, caches,
// notifications. Redis in production; an in-process map under embedded defaults. Nothing whose loss could allow
// a replay may live here. It also carries broadcasts between instances (Redis pub/sub), which may be lost too: a
// listener is told when it may have missed some.
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';

export interface Kv {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Adds `by` (default 1, may be negative) to a counter, creating it with the given TTL; returns the new value. */
  incr(key: string, ttlSeconds: number, by?: number): Promise<number>;
  /** Sends `message` to every listener of `channel` on this Kv, in every instance (Redis PUBLISH). */
  publish(channel: string, message: string): Promise<void>;
  /** Calls `onMessage` for each message on `channel`. `onLive(false)` when messages may be lost from then on (the
   *  connection to Redis dropped), `onLive(true)` once a message of the listener's own went through again; until
   *  the first `onLive(true)` the listener is not live. */
  listen(channel: string, onMessage: (message: string) => void, onLive: (live: boolean) => void): Promise<void>;
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

/** A listener proves its subscription by receiving a message of its own: this prefix and a fresh nonce. */
const PROBE = '\u0000probe:';
/** How often a listener that is not live tries to prove its subscription again. */
const PROBE_INTERVAL_MS = 1000;

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
  const listeners: { sub: typeof client; timer: NodeJS.Timeout }[] = [];
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
    async publish(channel, message) {
      await bounded(client.publish(prefix + channel, message));
    },
    async listen(channel, onMessage, onLive) {
      // A subscription has its own connection. After a reconnection node-redis subscribes again on its own, but
      // nothing says when that is done, and messages published in between are lost: the listener is live only from
      // the moment a probe it published after the last connection came back to it.
      const name = prefix + channel;
      const sub = client.duplicate();
      let live = false;
      let nonce = '';
      const set = (v: boolean) => {
        if (v === live) return;
        live = v;
        onLive(v);
      };
      const prove = () => {
        nonce = randomBytes(12).toString('hex');
        bounded(client.publish(name, PROBE + nonce)).catch(() => {});
      };
      sub.on('error', () => set(false));
      sub.on('reconnecting', () => set(false));
      sub.on('end', () => set(false));
      sub.on('ready', () => {
        set(false);
        prove();
      });
      await sub.connect();
      await sub.subscribe(name, (message) => {
        if (!message.startsWith(PROBE)) onMessage(message);
        else if (message === PROBE + nonce) set(true);
      });
      const timer = setInterval(() => live || prove(), PROBE_INTERVAL_MS);
      timer.unref();
      listeners.push({ sub, timer });
      prove();
    },
    async close() {
      // With Redis away a QUIT gets no answer: close without one after the usual wait.
      const end = (c: typeof client) => bounded(c.quit()).catch(() => c.destroy());
      for (const { sub, timer } of listeners.splice(0)) {
        clearInterval(timer);
        await end(sub);
      }
      await end(client);
    },
  };
}

export function createMemoryKv(now: () => number = Date.now): Kv {
  const map = new Map<string, { v: string; exp: number }>();
  // One process: a message reaches every listener before publish returns, and none is ever lost.
  const channels = new Map<string, ((message: string) => void)[]>();
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
    async publish(channel, message) {
      for (const f of channels.get(channel) ?? []) f(message);
    },
    async listen(channel, onMessage, onLive) {
      channels.set(channel, [...(channels.get(channel) ?? []), onMessage]);
      onLive(true);
    },
    async close() {
      map.clear();
      channels.clear();
    },
  };
}
