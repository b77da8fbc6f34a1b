// The cache of verified auth/login access tokens (authz/token_cache.ts) across instances: two authz instances on one
// PostgreSQL and one Redis, as two processes of a deployment would be. A revocation through one is refused by the
// other as soon as the announcement arrives; a revocation the cache was not told of (written in SQL) shows when the
// entry ends; and while Redis is away nothing is kept (a redis-server of the test's own, killed and started again).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisKv, type Kv } from '../../../core/kv.ts';
import { ownRedis, type OwnRedis } from '../../e2e/fault_fixtures.ts';
import { makeAuthz, openStores, rand, refusal } from './helpers.ts';

type Instance = Awaited<ReturnType<typeof makeAuthz>>;

let stores: Awaited<ReturnType<typeof openStores>>;
const kvs: Kv[] = [];

beforeAll(async () => {
  stores = await openStores();
});
afterAll(async () => {
  for (const kv of kvs) await kv.close();
  await stores.close();
});

async function instance(redisUrl: string, prefix: string): Promise<Instance> {
  const kv = await createRedisKv(redisUrl, prefix);
  kvs.push(kv);
  return makeAuthz(stores.db, kv);
}

async function signedIn(a: Instance, rememberMe = false) {
  const username = `c_${rand()}`;
  const { userId } = await a.users.create({ username, password: 'password-123' });
  const res = await a.auth.login({ basic: { username, password: 'password-123' }, rememberMe, sourceIp: `192.0.2.${rand(2)}` });
  return { userId, ...res };
}

/** Revoked in SQL, behind the cache's back: only a look-up sees it. */
const silentlyRevoke = (token: string) =>
  stores.db.query("UPDATE authz.tokens SET revoked_at = now() WHERE token_hash = sha256(convert_to($1, 'UTF8'))", [token]);

const events = (a: Instance) => a.lines.map((l) => JSON.parse(l) as { event?: string; msg: string });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `a` keeps tokens (its listener proved the channel), with a token of its own that it then spends. */
async function untilCaching(a: Instance): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { access_token } = await signedIn(a);
    await a.tokens.verify(access_token);
    await silentlyRevoke(access_token);
    const kept = await a.tokens.verify(access_token).then(() => true, () => false);
    if (kept) return;
    if (Date.now() > deadline) throw new Error('the token cache never went live');
    await sleep(200);
  }
}

/** Polls `check` until it holds; the time it took, or a failure after `ms`. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await sleep(10);
  }
  return Date.now() - t0;
}

const refused = (a: Instance, token: string) => () => a.tokens.verify(token).then(() => false, () => true);

describe('two instances on the machine Redis', () => {
  let a: Instance;
  let b: Instance;
  beforeAll(async () => {
    const prefix = `test:tokcache:${rand()}:`;
    a = await instance(process.env.REDIS_URL!, prefix);
    b = await instance(process.env.REDIS_URL!, prefix);
    await untilCaching(a);
    await untilCaching(b);
  });
  afterEach(() => {
    b.clock.t = a.clock.t; // the tests of the entry's lifetime move B's clock
  });

  it('keeps a valid token: a revocation it was not told of shows when the entry ends (5 s), never later', async () => {
    const s = await signedIn(a);
    const first = await b.tokens.verify(s.access_token);
    await silentlyRevoke(s.access_token);
    expect(await b.tokens.verify(s.access_token)).toEqual(first);
    b.clock.t += 4_999;
    expect(await b.tokens.verify(s.access_token)).toEqual(first);
    b.clock.t += 2;
    const r = await refusal(b.tokens.verify(s.access_token));
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'expired_token', error_description: 'The access or refresh token is expired or has been revoked' });
  });

  it('never past the token expiry', async () => {
    const s = await signedIn(a);
    const g = await b.tokens.verify(s.access_token);
    b.clock.t = g.expiresAt.getTime();
    expect((await refusal(b.tokens.verify(s.access_token))).code).toBe('expiredToken');
  });

  it('auth/revoke through one instance: refused there at once, and by the other as soon as the announcement arrives', async () => {
    const s = await signedIn(a);
    const caller = await a.tokens.verify(s.access_token);
    await b.tokens.verify(s.access_token);
    await a.auth.revoke({ caller, token: s.access_token });
    expect((await refusal(a.tokens.verify(s.access_token))).code).toBe('expiredToken');
    const took = await within(1_000, refused(b, s.access_token));
    expect(took).toBeLessThan(1_000);
    expect((await refusal(b.tokens.verify(s.access_token))).code).toBe('expiredToken');
  });

  it('a refresh token presented twice ends the family in every instance, the access token another cached too', async () => {
    const s = await signedIn(a, true);
    const rotated = await a.auth.login({ refreshToken: s.refresh_token!, rememberMe: true, sourceIp: '192.0.2.9' });
    await b.tokens.verify(rotated.access_token);
    expect((await refusal(a.auth.login({ refreshToken: s.refresh_token!, rememberMe: true, sourceIp: '192.0.2.9' }))).code).toBe('invalidRefreshToken');
    await within(1_000, refused(b, rotated.access_token));
    expect((await refusal(b.tokens.verify(rotated.access_token))).code).toBe('expiredToken');
  });

  it('a token never verified, a refusal and a refresh token are not kept', async () => {
    const s = await signedIn(a, true);
    await silentlyRevoke(s.access_token);
    expect((await refusal(b.tokens.verify(s.access_token))).code).toBe('expiredToken');
    expect((await refusal(b.tokens.verify(s.refresh_token!))).code).toBe('invalidToken');
  });
});

describe('Redis away and back (a redis-server of our own)', () => {
  let redis: OwnRedis;
  let a: Instance;
  let b: Instance;
  beforeAll(async () => {
    redis = await ownRedis();
    const prefix = `test:tokcache:${rand()}:`;
    a = await instance(redis.url, prefix);
    b = await instance(redis.url, prefix);
    await untilCaching(b);
  }, 60_000);
  afterAll(() => redis?.kill());

  it('nothing is kept while the channel may miss a revocation; the revocation that cannot be announced is logged', async () => {
    const s = await signedIn(a);
    const caller = await a.tokens.verify(s.access_token);
    const t = await signedIn(a);
    await b.tokens.verify(t.access_token);

    await redis.kill();
    // Without Redis, B looks every token up: the one it had kept is gone with its cache.
    await within(5_000, async () => {
      await silentlyRevoke(t.access_token);
      return refused(b, t.access_token)();
    });
    expect((await refusal(b.tokens.verify(t.access_token))).code).toBe('expiredToken');
    expect(events(b).some((l) => l.event === 'token_cache_off')).toBe(true);

    // A's revocation commits although it cannot be announced, and A says so.
    await b.tokens.verify(s.access_token);
    await a.auth.revoke({ caller, token: s.access_token });
    expect((await refusal(b.tokens.verify(s.access_token))).code).toBe('expiredToken');
    const unannounced = events(a).filter((l) => l.event === 'token_revocation_unannounced');
    expect(unannounced).toHaveLength(1);
    expect(unannounced[0]!.msg).toBe('a token revocation could not be announced to other instances: their cached entries end within 5000 ms');
    expect(JSON.stringify(a.lines)).not.toContain(s.access_token);
  }, 30_000);

  it('keeps tokens again once a probe went through the new connection', async () => {
    await redis.start();
    await untilCaching(a); // A's probes prove its publishing connection too
    await untilCaching(b);
    const s = await signedIn(a);
    await b.tokens.verify(s.access_token);
    await silentlyRevoke(s.access_token);
    await b.tokens.verify(s.access_token);
    // And revocations reach it again.
    const u = await signedIn(a);
    const caller = await a.tokens.verify(u.access_token);
    await b.tokens.verify(u.access_token);
    await a.auth.revoke({ caller, token: u.access_token });
    await within(1_000, refused(b, u.access_token));
  }, 30_000);
});
