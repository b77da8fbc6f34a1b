// The throttling policy (issue #4 item 4): 429 with Retry-After past the limit, counted per subject and window;
// a store that throws fails closed for limits that protect factors; the others are counted in the instance and
// added to the store in batches.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.ts';
import { CscError } from '../../../core/errors.ts';
import { createMemoryKv, type Kv } from '../../../core/kv.ts';
import { RateLimiter, ratePolicy, type RateRule } from '../../../core/policy.ts';
import { captureLogger } from '../../capture_logger.ts';

const rule = (protectsFactors: boolean): RateRule => ({ name: `t-${protectsFactors}`, max: 3, windowSeconds: 60, protectsFactors });

const brokenKv: Kv = {
  get: async () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379')),
  set: async () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379')),
  del: async () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379')),
  incr: async () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379')),
  publish: () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379')),
  listen: async () => {}, // never live
  close: async () => {},
};

async function refusal(p: Promise<unknown>): Promise<CscError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CscError);
  return err as CscError;
}

describe('RateLimiter', () => {
  it('allows max requests per window, then 429 with Retry-After to the end of the window; other subjects unaffected', async () => {
    let t = 1_700_000_080_000; // 40 s into a 60 s window (1_700_000_040 is a multiple of 60)
    const { log } = captureLogger();
    const limiter = new RateLimiter(createMemoryKv(() => t), log, () => t);
    for (let i = 0; i < 3; i++) await limiter.hit(rule(true), '203.0.113.9');
    const err = await refusal(limiter.hit(rule(true), '203.0.113.9'));
    expect(err.status).toBe(429);
    expect(err.toJSON()).toEqual({ error: 'access_denied', error_description: 'Too many requests' });
    expect(err.headers).toEqual({ 'Retry-After': '20' });
    await limiter.hit(rule(true), '203.0.113.10');
    t += 20_000; // the next window
    await limiter.hit(rule(true), '203.0.113.9');
  });

  it('fails closed (503) for a limit that protects factors when the store throws, and logs it', async () => {
    const { log, lines } = captureLogger();
    const err = await refusal(new RateLimiter(brokenKv, log).hit(rule(true), '203.0.113.9'));
    expect(err.status).toBe(503);
    expect(err.toJSON()).toEqual({ error: 'temporarily_unavailable', error_description: 'Request limits cannot be checked now; try again later' });
    expect(lines.join('')).toContain('fail closed');
  });

  it('counts a load-shedding limit in the instance: exact there, nothing asked of the store until the flush', async () => {
    let incrs = 0;
    const kv = createMemoryKv();
    const counting: Kv = { ...kv, incr: (...a) => (incrs++, kv.incr(...a)) };
    const limiter = new RateLimiter(counting, captureLogger().log);
    for (let i = 0; i < 3; i++) await limiter.hit(rule(false), '203.0.113.9');
    const err = await refusal(limiter.hit(rule(false), '203.0.113.9'));
    expect([err.status, err.headers?.['Retry-After']]).toEqual([429, expect.stringMatching(/^[1-9][0-9]*$/)]);
    expect(incrs).toBe(0);
    await limiter.flush();
    expect(incrs).toBe(1); // one INCRBY for the window, whatever the number of hits
    await limiter.close();
  });

  it('shares load-shedding counts between instances through the store, at each flush', async () => {
    const kv = createMemoryKv();
    const a = new RateLimiter(kv, captureLogger().log);
    const b = new RateLimiter(kv, captureLogger().log);
    await a.hit(rule(false), 'client-1');
    await a.hit(rule(false), 'client-1');
    await a.flush();
    await b.hit(rule(false), 'client-1'); // b has not read a's hits back yet: 1 of 3 as far as it knows
    await b.flush(); // 3 in the store now, and b knows
    const err = await refusal(b.hit(rule(false), 'client-1'));
    expect(err.status).toBe(429);
    await Promise.all([a.close(), b.close()]);
  });

  it('goes on limiting from its own counts while the store throws, logs it, and adds them once it answers', async () => {
    const t = 1_700_000_080_000; // window 28_333_334 of 60 s
    const kv = createMemoryKv(() => t);
    let up = false;
    const flaky: Kv = { ...brokenKv, incr: (...a) => (up ? kv.incr(...a) : brokenKv.incr(...a)) };
    const { log, lines } = captureLogger();
    const limiter = new RateLimiter(flaky, log, () => t);
    for (let i = 0; i < 3; i++) await limiter.hit(rule(false), '203.0.113.9');
    await limiter.flush();
    expect(lines.join('')).toContain('load-shedding limits counted in this instance only');
    expect((await refusal(limiter.hit(rule(false), '203.0.113.9'))).status).toBe(429); // not a 503
    up = true;
    await limiter.flush();
    const key = `rate:${rule(false).name}:${createHash('sha256').update('203.0.113.9').digest('base64url').slice(0, 22)}:28333334`;
    expect(await kv.incr(key, 60, 0)).toBe(4); // the three allowed and the one refused, kept while the store was away
    await limiter.close();
  });

  it('drops a window once it has ended', async () => {
    let t = 1_700_000_080_000;
    const limiter = new RateLimiter(createMemoryKv(() => t), captureLogger().log, () => t);
    for (let i = 0; i < 3; i++) await limiter.hit(rule(false), 'client-1');
    await refusal(limiter.hit(rule(false), 'client-1'));
    t += 20_000;
    await limiter.hit(rule(false), 'client-1');
    await limiter.close();
  });

  it('takes its limits from the configuration: authorize limits protect factors, the login request rate does not', () => {
    const p = ratePolicy(
      loadConfig({ NODE_ENV: 'test', RATE_LIMIT_WINDOW_SECONDS: '30', AUTHORIZE_RATE_PER_CLIENT: '7', AUTHORIZE_RATE_PER_IP: '9', LOGIN_RATE_PER_IP: '11' }).policy,
    );
    expect(p.authorizePerClient).toMatchObject({ max: 7, windowSeconds: 30, protectsFactors: true });
    expect(p.authorizePerIp).toMatchObject({ max: 9, windowSeconds: 30, protectsFactors: true });
    expect(p.loginPerIp).toMatchObject({ max: 11, windowSeconds: 30, protectsFactors: false });
    expect(ratePolicy(loadConfig({ NODE_ENV: 'test' }).policy)).toMatchObject({
      loginPerIp: { max: 300, windowSeconds: 60 },
      authorizePerClient: { max: 60 },
      authorizePerIp: { max: 300 },
    });
  });
});
