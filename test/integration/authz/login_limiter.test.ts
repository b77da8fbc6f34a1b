import { describe, expect, it } from 'vitest';
import { ipKey, LoginLimiter, userKey } from '../../../authz/login_limiter.ts';
import { createMemoryKv } from '../../../core/kv.ts';
import { refusal } from './helpers.ts';

describe('LoginLimiter', () => {
  it('refuses after maxFailures failed attempts in a 15-minute window, with Retry-After up to the end of that window', async () => {
    let t = Date.UTC(2025, 0, 1, 10, 0, 0); // a window boundary
    const limiter = new LoginLimiter(createMemoryKv(() => t), { maxFailures: 2, now: () => t });
    const who = { user: userKey('Alice'), ip: ipKey('203.0.113.7') };
    t += 100_000;
    await limiter.attempt(who); // failed: never said to have succeeded
    await limiter.attempt(who);
    const r = await refusal(limiter.attempt(who));
    expect(r).toMatchObject({ code: 'rateLimited', status: 429, headers: { 'Retry-After': '800' } });
    t += 799_000;
    expect((await refusal(limiter.attempt(who))).headers).toEqual({ 'Retry-After': '1' });
    t += 1_000;
    await limiter.attempt(who); // next window
  });

  it('takes attempts atomically: of 20 parallel guesses only maxFailures are let through', async () => {
    const limiter = new LoginLimiter(createMemoryKv(), { maxFailures: 3 });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => limiter.attempt({ user: userKey('dave'), ip: ipKey('10.9.9.9') })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'rateLimited')).toBe(true);
  });

  it('counts subjects separately; a success clears the username and gives the address its attempt back', async () => {
    const t = Date.UTC(2025, 0, 1, 10, 1, 0);
    const limiter = new LoginLimiter(createMemoryKv(() => t), { maxFailures: 2, now: () => t });
    await limiter.attempt({ user: userKey('bob'), ip: ipKey('10.0.0.1') }); // a failure of bob from .1
    await limiter.attempt({ user: userKey('bob'), ip: ipKey('10.0.0.3') }); // and one from .3
    expect((await refusal(limiter.attempt({ user: userKey('BOB') }))).code).toBe('rateLimited');
    // Successes from one address do not use up its budget: a signing application logs in again and again.
    for (let i = 0; i < 5; i++) await (await limiter.attempt({ user: userKey('carol'), ip: ipKey('10.0.0.2') })).succeeded();
    const ok = await limiter.attempt({ user: userKey('erin'), ip: ipKey('10.0.0.1') });
    await ok.succeeded();
    // .1 still has bob's failure: one more failure from it, and it is refused.
    await limiter.attempt({ user: userKey('frank'), ip: ipKey('10.0.0.1') });
    expect((await refusal(limiter.attempt({ user: userKey('grace'), ip: ipKey('10.0.0.1') }))).code).toBe('rateLimited');
    // bob succeeding (from elsewhere) clears bob.
    const bobNow = new LoginLimiter(createMemoryKv(() => t), { maxFailures: 2, now: () => t });
    await bobNow.attempt({ user: userKey('bob') });
    await (await bobNow.attempt({ user: userKey('bob') })).succeeded();
    await bobNow.attempt({ user: userKey('bob') });
    await bobNow.attempt({ user: userKey('bob') });
    expect((await refusal(bobNow.attempt({ user: userKey('bob') }))).code).toBe('rateLimited');
  });

  it('keys usernames by a hash, so that arbitrary input cannot shape the store key', () => {
    expect(userKey('x'.repeat(10_000))).toMatch(/^user:[A-Za-z0-9_-]{43}$/);
    expect(userKey('Alice')).toBe(userKey('alice'));
  });
});
