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

const LOGIN_WINDOW_SECONDS = 15 * 60;

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

  /**
   * Takes one attempt for each subject before the password is looked at, atomically (INCRBY): N guesses sent in
   * parallel get at most maxFailures evaluations between them, where a read-then-count check let all N through
   * (issue #14 finding 5). Throws rateLimited (429, Retry-After) when a subject has no attempt left, giving back
   * what it took. The attempt counts as a failure unless the caller says it succeeded.
   */
  async attempt(who: { user?: string; ip?: string }): Promise<LoginAttempt> {
    const subjects = [who.user, who.ip].filter((s): s is string => s !== undefined);
    const w = this.window();
    const taken: string[] = [];
    try {
      for (const s of subjects) {
        const n = await this.kv.incr(this.key(s, w.index), w.size);
        taken.push(s);
        if (n > this.opts.maxFailures) throw new CscError('rateLimited', { headers: { 'Retry-After': String(w.retryAfter) } });
      }
    } catch (err) {
      // A refused attempt is not a failure of its own (or the lockout would last for ever under a steady guesser).
      await Promise.all(taken.map((s) => this.kv.incr(this.key(s, w.index), w.size, -1))).catch(() => {});
      throw err;
    }
    return {
      // A success gives its attempt back; the username's failures are cleared too (not the IP's: one right password
      // must not unlock guessing at other accounts from the same address).
      succeeded: async () => {
        if (who.user !== undefined) await this.kv.del(this.key(who.user, w.index));
        if (who.ip !== undefined) await this.kv.incr(this.key(who.ip, w.index), w.size, -1);
      },
    };
  }
}

export type LoginAttempt = { succeeded(): Promise<void> };
