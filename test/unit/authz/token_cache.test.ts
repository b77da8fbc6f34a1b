// authz/token_cache.ts alone, on the in-process Kv and on a Kv whose channel the test makes live or not: the rules
// that keep a revoked token out (a look-up that began before a drop keeps nothing; nothing is kept while the channel
// may lose messages), the bound on memory, and the copies handed out.
import { describe, expect, it } from 'vitest';
import { createMemoryKv, type Kv } from '../../../core/kv.ts';
import type { AccessGrant } from '../../../core/ports.ts';
import { TOKEN_REVOCATIONS, TokenCache } from '../../../authz/token_cache.ts';
import { captureLogger } from '../../capture_logger.ts';

const grant = (n: number, expiresAt = Date.UTC(2100, 0, 1)): AccessGrant => ({
  tokenId: `t${n}`,
  userId: `u${n}`,
  clientId: `login:f${n}`,
  scope: 'service',
  expiresAt: new Date(expiresAt),
});

/** A Kv whose channel the test controls: `live(v)` as core/kv.ts would report it, `deliver()` a message. */
function switchableKv() {
  let onMessage: (m: string) => void = () => {};
  let onLive: (v: boolean) => void = () => {};
  const published: string[] = [];
  const kv = {
    ...createMemoryKv(),
    publish: async (_c: string, m: string) => void published.push(m),
    listen: async (_c: string, m: (s: string) => void, l: (v: boolean) => void) => {
      onMessage = m;
      onLive = l;
    },
  } satisfies Kv;
  return { kv, published, live: (v: boolean) => onLive(v), deliver: () => onMessage('revoked') };
}

describe('TokenCache', () => {
  it('keeps nothing until the channel is live, and drops everything when it stops being live', async () => {
    const k = switchableKv();
    const { log, lines } = captureLogger();
    const cache = await TokenCache.open(k.kv, log);
    cache.put('t1', grant(1), cache.ticket());
    expect(cache.ticket()).toBeNull();
    expect(cache.get('t1')).toBeUndefined();

    k.live(true);
    cache.put('t1', grant(1), cache.ticket());
    expect(cache.get('t1')).toEqual(grant(1));
    k.live(false);
    expect(cache.get('t1')).toBeUndefined();
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ level: 40, event: 'token_cache_off' });
  });

  it('a look-up that began before a revocation arrived does not fill the cache', async () => {
    const k = switchableKv();
    const cache = await TokenCache.open(k.kv, captureLogger().log);
    k.live(true);
    const ticket = cache.ticket();
    k.deliver(); // another instance revoked while the row was being read
    cache.put('t1', grant(1), ticket);
    expect(cache.get('t1')).toBeUndefined();
    cache.put('t1', grant(1), cache.ticket());
    expect(cache.get('t1')).toEqual(grant(1));
  });

  it('revoked() drops this instance at once and announces on the channel; a message from elsewhere drops it too', async () => {
    const kv = createMemoryKv();
    const [one, two] = [await TokenCache.open(kv, captureLogger().log), await TokenCache.open(kv, captureLogger().log)];
    one.put('t1', grant(1), one.ticket());
    two.put('t1', grant(1), two.ticket());
    await one.revoked();
    expect(one.get('t1')).toBeUndefined();
    expect(two.get('t1')).toBeUndefined();

    const k = switchableKv();
    const three = await TokenCache.open(k.kv, captureLogger().log);
    k.live(true);
    await three.revoked();
    expect(k.published).toEqual(['revoked']);
    expect(TOKEN_REVOCATIONS).toBe('authz:tokens-revoked');
  });

  it('an announcement that fails is logged, without the token, and the revocation still stands locally', async () => {
    const k = switchableKv();
    const { log, lines } = captureLogger();
    const cache = await TokenCache.open({ ...k.kv, publish: () => Promise.reject(new Error('Redis did not answer in 2000 ms')) }, log);
    k.live(true);
    cache.put('t1', grant(1), cache.ticket());
    await cache.revoked();
    expect(cache.get('t1')).toBeUndefined();
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ level: 50, event: 'token_revocation_unannounced', err: 'Redis did not answer in 2000 ms' });
  });

  it('an entry lives 5 s at most and never past the token expiry', async () => {
    let t = 1_000_000;
    const cache = await TokenCache.open(createMemoryKv(), captureLogger().log, () => t);
    cache.put('long', grant(1, t + 3_600_000), cache.ticket());
    cache.put('short', grant(2, t + 1_000), cache.ticket());
    t += 999;
    expect(cache.get('short')).toBeDefined();
    t += 1;
    expect(cache.get('short')).toBeUndefined();
    t += 3_999;
    expect(cache.get('long')).toBeDefined();
    t += 1;
    expect(cache.get('long')).toBeUndefined();
  });

  it('holds at most 10 000 entries, dropping the oldest, and hands out copies', async () => {
    const cache = await TokenCache.open(createMemoryKv(), captureLogger().log);
    for (let n = 0; n <= 10_000; n++) cache.put(`t${n}`, grant(n), cache.ticket());
    expect(cache.get('t0')).toBeUndefined();
    expect(cache.get('t1')).toEqual(grant(1));
    expect(cache.get('t10000')).toEqual(grant(10_000));
    const g = cache.get('t1')!;
    g.userId = 'someone else';
    expect(cache.get('t1')!.userId).toBe('u1');
  });
});
