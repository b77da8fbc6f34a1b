import { describe, expect, it } from 'vitest';
import { ipKey, LoginLimiter, userKey } from '../../../authz/login_limiter.ts';
import { createMemoryKv } from '../../../core/kv.ts';
import { refusal } from './helpers.ts';

describe('LoginLimiter', () => {
  it('refuses after maxFailures in a 15-minute window, with Retry-After up to the end of that window', async () => {
    let t = Date.UTC(2025, 0, 1, 10, 0, 0); // a window boundary
    const limiter = new LoginLimiter(createMemoryKv(() => t), { maxFailures: 2, now: () => t });
    const subjects = [userKey('Alice'), ipKey('203.0.113.7')];
    t += 100_000;
    await limiter.check(subjects);
    await limiter.fail(subjects);
    await limiter.check(subjects);
    await limiter.fail(subjects);
    const r = await refusal(limiter.check(subjects));
    expect(r).toMatchObject({ code: 'rateLimited', status: 429, headers: { 'Retry-After': '800' } });
    t += 799_000;
    expect((await refusal(limiter.check(subjects))).headers).toEqual({ 'Retry-After': '1' });
    t += 1_000;
    await limiter.check(subjects); // next window
  });

  it('counts subjects separately, and reset clears one of them only', async () => {
    const t = Date.UTC(2025, 0, 1, 10, 1, 0);
    const limiter = new LoginLimiter(createMemoryKv(() => t), { maxFailures: 1, now: () => t });
    await limiter.fail([userKey('bob'), ipKey('10.0.0.1')]);
    expect((await refusal(limiter.check([userKey('BOB')]))).code).toBe('rateLimited');
    await limiter.check([userKey('carol'), ipKey('10.0.0.2')]);
    await limiter.reset(userKey('bob'));
    await limiter.check([userKey('bob')]);
    expect((await refusal(limiter.check([ipKey('10.0.0.1')]))).code).toBe('rateLimited');
  });

  it('keys usernames by a hash, so that arbitrary input cannot shape the store key', () => {
    expect(userKey('x'.repeat(10_000))).toMatch(/^user:[A-Za-z0-9_-]{43}$/);
    expect(userKey('Alice')).toBe(userKey('alice'));
  });
});
