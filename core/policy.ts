// The throttling policy in one place (issue #4 item 4). Two kinds of limit, treated differently when the store
// behind them (Redis) is unreachable:
//
// - limits that protect factors (credentials/authorize, where PINs and OTPs are tried): without their counters an
//   attacker could guess at full speed across credentials, so they fail closed (503, try again later);
// - limits that only shed load (the request rate of auth/login; password guessing there is bounded separately by
//   the failure counters of authz/login_limiter.ts, which fail closed): they are counted in each instance and
//   added to the Kv in batches (RateLimiter.hit), so they cost no round trip per request, and while the Kv is away
//   each instance limits from its own counts, and says so in the log.
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

/** How long a load-shedding count waits in the instance before it is added to the shared one (see RateLimiter). */
export const SHED_FLUSH_MS = 100;
/** Windows counted in process at most; past that, a load-shedding hit goes to the store at once. */
const SHED_WINDOWS_MAX = 10_000;

/** One subject's window of a load-shedding rule in this instance: the shared count last read back from the store
 *  (every instance's hits that reached it), and this instance's hits since. */
type ShedWindow = { key: string; index: number; ttl: number; shared: number; pending: number };

export class RateLimiter {
  private readonly shed = new Map<string, ShedWindow>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly kv: Kv,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one request of `subject` under `rule`. Throws rateLimited (429, Retry-After: seconds to the end of the
   * window) beyond `max`.
   *
   * A rule that protects factors is counted in the store on every hit, and refused with rateLimitUnavailable (503)
   * when the store fails. A load-shedding rule is counted in this instance and added to the store at most
   * SHED_FLUSH_MS later, in one INCRBY per window (docs/performance.md: no Redis round trip per signHash): exact
   * for one instance, and across N instances a subject may get up to (N − 1) × its rate × SHED_FLUSH_MS beyond
   * `max` before every instance has read the others' counts back. While the store is unreachable each instance
   * goes on limiting from its own counts (logged), and adds them to the store once it answers again.
   */
  async hit(rule: RateRule, subject: string): Promise<void> {
    const nowSec = Math.floor(this.now() / 1000);
    const index = Math.floor(nowSec / rule.windowSeconds);
    const key = `rate:${rule.name}:${subjectKey(subject)}:${index}`;
    let count: number;
    const local = rule.protectsFactors ? undefined : this.shedWindow(key, index, rule.windowSeconds);
    if (local) {
      local.pending += 1;
      count = local.shared + local.pending;
      this.scheduleFlush();
    } else {
      try {
        count = await this.kv.incr(key, rule.windowSeconds);
      } catch (err) {
        if (rule.protectsFactors) {
          this.log.error({ event: 'ratelimit.unavailable', rule: rule.name, err: (err as Error).message }, 'rate-limit store unreachable: refusing (fail closed)');
          throw new CscError('rateLimitUnavailable', { cause: err });
        }
        this.log.warn({ event: 'ratelimit.unavailable', rule: rule.name, err: (err as Error).message }, 'rate-limit store unreachable: allowing (fail open)');
        return;
      }
    }
    if (count > rule.max) {
      const retryAfter = Math.max(1, (index + 1) * rule.windowSeconds - nowSec);
      throw new CscError('rateLimited', { headers: { 'Retry-After': String(retryAfter) } });
    }
  }

  /** Adds this instance's pending load-shedding counts to the store and reads the shared ones back; windows that
   *  have ended are dropped. Runs on its own SHED_FLUSH_MS after a hit; close() runs it a last time. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.flushOnce().finally(() => (this.flushing = null));
    await this.flushing;
  }

  /** Stops the flush timer after a last flush (best effort: these counts may be lost, DESIGN §3). */
  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.flush();
  }

  private shedWindow(key: string, index: number, ttl: number): ShedWindow | undefined {
    let w = this.shed.get(key);
    if (!w) {
      if (this.shed.size >= SHED_WINDOWS_MAX) return undefined;
      this.shed.set(key, (w = { key, index, ttl, shared: 0, pending: 0 }));
    }
    return w;
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, SHED_FLUSH_MS);
    this.flushTimer.unref();
  }

  private async flushOnce(): Promise<void> {
    const nowSec = Math.floor(this.now() / 1000);
    const due: ShedWindow[] = [];
    for (const w of this.shed.values()) {
      if (w.index < Math.floor(nowSec / w.ttl)) this.shed.delete(w.key); // over: its count no longer limits anything
      else if (w.pending > 0) due.push(w);
    }
    const failures = await Promise.all(due.map(async (w) => {
      const adding = w.pending;
      try {
        w.shared = await this.kv.incr(w.key, w.ttl, adding); // every instance's hits so far, these included
        w.pending -= adding;
        return undefined;
      } catch (err) {
        return err as Error; // kept pending: added once the store answers again
      }
    }));
    const failure = failures.find((f) => f !== undefined);
    if (failure) {
      this.log.warn({ event: 'ratelimit.unavailable', err: failure.message }, 'rate-limit store unreachable: load-shedding limits counted in this instance only');
    }
    if ([...this.shed.values()].some((w) => w.pending > 0)) this.scheduleFlush();
  }
}

/** The limiter and the rules it applies, as the CSC routes receive them. */
export type Limits = { limiter: RateLimiter; policy: RatePolicy };
