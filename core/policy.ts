// The throttling policy in one place (issue #4 item 4). Two kinds of limit, treated differently when the store
// behind them (Redis) is unreachable:
//
// - limits that protect factors (credentials/authorize, where PINs and OTPs are tried): without their counters an
//   attacker could guess at full speed across credentials, so they fail closed (503, try again later);
// - limits that only shed load (the request rate of auth/login; password guessing there is bounded separately by
//   the failure counters of authz/login_limiter.ts, which fail closed): they fail open, and say so in the log.
//
// Windows are fixed and live in the Kv (losing them only resets a throttle, DESIGN §3). What must survive a Redis
// failover — consecutive wrong factors per credential and the lock they lead to — is counted in PostgreSQL by the
// SAM (sam/store/credentials.ts), not here.
import { createHash } from 'node:crypto';
import type { Config } from './config.ts';
import { CscError } from './errors.ts';
import type { Kv } from './kv.ts';
import type { Logger } from './log.ts';

export type RateRule = {
  /** Key prefix and log name. */
  name: string;
  /** Requests allowed per window; the next one is answered 429 with Retry-After. */
  max: number;
  windowSeconds: number;
  /** Fail closed when the store is unreachable (see above). */
  protectsFactors: boolean;
};

export type RatePolicy = {
  loginPerIp: RateRule;
  authorizePerClient: RateRule;
  authorizePerIp: RateRule;
  oauthPerIp: RateRule;
  oauthPerClient: RateRule;
  signPerClient: RateRule;
  pollPerClient: RateRule;
};

export function ratePolicy(p: Config['policy']): RatePolicy {
  const w = p.rateWindowSeconds;
  return {
    loginPerIp: { name: 'login-ip', max: p.loginPerIp, windowSeconds: w, protectsFactors: false },
    authorizePerClient: { name: 'authorize-client', max: p.authorizePerClient, windowSeconds: w, protectsFactors: true },
    authorizePerIp: { name: 'authorize-ip', max: p.authorizePerIp, windowSeconds: w, protectsFactors: true },
    oauthPerIp: { name: 'oauth-ip', max: p.oauthPerIp, windowSeconds: w, protectsFactors: false },
    oauthPerClient: { name: 'oauth-client', max: p.oauthPerClient, windowSeconds: w, protectsFactors: false },
    // Every signHash needs a SAD, so this sheds load rather than guarding a secret: it lets requests through without
    // Redis, and signing with a valid SAD goes on (issue #10 item 6).
    signPerClient: { name: 'sign-client', max: p.signPerClient, windowSeconds: w, protectsFactors: false },
    // A poll reads a job of the caller's own; the limit keeps a client's tight loop off the database.
    pollPerClient: { name: 'poll-client', max: p.pollPerClient, windowSeconds: w, protectsFactors: false },
  };
}

/** Subjects are client input (IP text, client ids): hashed into bounded keys. */
const subjectKey = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64url').slice(0, 22);

export class RateLimiter {
  constructor(
    private readonly kv: Kv,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one request of `subject` under `rule`. Throws rateLimited (429, Retry-After: seconds to the end of the
   * window) beyond `max`; when the store fails, throws rateLimitUnavailable (503) for a rule that protects factors
   * and lets the request through, logged, for the others.
   */
  async hit(rule: RateRule, subject: string): Promise<void> {
    const nowSec = Math.floor(this.now() / 1000);
    const index = Math.floor(nowSec / rule.windowSeconds);
    let count: number;
    try {
      count = await this.kv.incr(`rate:${rule.name}:${subjectKey(subject)}:${index}`, rule.windowSeconds);
    } catch (err) {
      if (rule.protectsFactors) {
        this.log.error({ event: 'ratelimit.unavailable', rule: rule.name, err: (err as Error).message }, 'rate-limit store unreachable: refusing (fail closed)');
        throw new CscError('rateLimitUnavailable', { cause: err });
      }
      this.log.warn({ event: 'ratelimit.unavailable', rule: rule.name, err: (err as Error).message }, 'rate-limit store unreachable: allowing (fail open)');
      return;
    }
    if (count > rule.max) {
      const retryAfter = Math.max(1, (index + 1) * rule.windowSeconds - nowSec);
      throw new CscError('rateLimited', { headers: { 'Retry-After': String(retryAfter) } });
    }
  }
}

/** The limiter and the rules it applies, as the CSC routes receive them. */
export type Limits = { limiter: RateLimiter; policy: RatePolicy };
