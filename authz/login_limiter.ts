// Throttles password guessing on auth/login (CSC v2 §11.2 admits HTTP Basic, so the password endpoint is
// exposed to whoever can reach the API). Failures are counted per username and per source IP in fixed 15-minute
// windows in the Kv: losing these counters (Redis failover) only resets a throttle, it never grants access, which
// is why they may live there (DESIGN §3). Fixed windows make Retry-After exact without asking the store for TTLs; the
// price is that an attacker timing the boundary gets at most twice the budget in one window's span.
//
// A Kv failure is not swallowed: the login fails (500) rather than running unthrottled.
import { createHash } from 'node:crypto';
import { CscError } from '../core/errors.ts';
import type { Kv } from '../core/kv.ts';

export const LOGIN_WINDOW_SECONDS = 15 * 60;

/** Usernames are case-insensitive (authz/users.ts) and arbitrary client input: hash them into a bounded key. */
export const userKey = (username: string) =>
  `user:${createHash('sha256').update(username.toLowerCase(), 'utf8').digest('base64url')}`;
export const ipKey = (ip: string) => `ip:${ip.slice(0, 64)}`;

export class LoginLimiter {
  constructor(
    private readonly kv: Kv,
    private readonly opts: { maxFailures: number; windowSeconds?: number; now?: () => number },
  ) {}

  private window() {
    const size = this.opts.windowSeconds ?? LOGIN_WINDOW_SECONDS;
    const nowSec = Math.floor((this.opts.now ?? Date.now)() / 1000);
    const index = Math.floor(nowSec / size);
    return { index, size, retryAfter: Math.max(1, (index + 1) * size - nowSec) };
  }

  private key(subject: string, index: number) {
    return `login-fail:${subject}:${index}`;
  }

  /** Throws rateLimited (429, Retry-After) once a subject has reached maxFailures failures in this window: the
   *  attempt after the maxFailures-th failure is refused, whatever its password. */
  async check(subjects: string[]): Promise<void> {
    const w = this.window();
    for (const s of subjects) {
      const count = Number((await this.kv.get(this.key(s, w.index))) ?? 0);
      if (count >= this.opts.maxFailures) {
        throw new CscError('rateLimited', { headers: { 'Retry-After': String(w.retryAfter) } });
      }
    }
  }

  async fail(subjects: string[]): Promise<void> {
    const w = this.window();
    for (const s of subjects) await this.kv.incr(this.key(s, w.index), w.size);
  }

  /** A successful login clears the username's count (not the IP's: one right password must not unlock guessing
   *  at other accounts from the same address). */
  async reset(subject: string): Promise<void> {
    await this.kv.del(this.key(subject, this.window().index));
  }
}
