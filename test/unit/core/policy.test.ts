// The throttling policy (issue #4 item 4): 429 with Retry-After past the limit, counted per subject and window;
// a store that throws fails closed for limits that protect factors and open (logged) for the others.
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

  it('fails open for a load-shedding limit when the store throws, and logs it', async () => {
    const { log, lines } = captureLogger();
    await new RateLimiter(brokenKv, log).hit(rule(false), '203.0.113.9');
    expect(lines.join('')).toContain('fail open');
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
