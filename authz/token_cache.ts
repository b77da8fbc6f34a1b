// Verified auth/login access tokens, kept a few seconds in the process: a signature application that calls many
// times with one token costs one look-up per ENTRY_MS instead of one PostgreSQL round trip per call (issue #13,
// docs/performance.md). Only tokens the look-up found valid are kept, never a refusal.
//
// Revocation must still take effect at once in every instance. Each revocation is announced on the Kv channel
// TOKEN_REVOCATIONS after it commits (ServiceAuthImpl calls `revoked()`), and every instance drops its whole cache on
// any message there: revocations are rare, look-ups are not. Three rules keep a revoked token out:
// - nothing is kept while the channel may be losing messages (core/kv.ts `listen`: from a lost connection to Redis
//   until a probe of the listener's own went through again), and the cache is emptied when that starts;
// - a look-up that began before a drop does not fill the cache with what it read (`ticket`/`put`: the epoch);
// - an entry lives ENTRY_MS at most and never past the token's expiry, so an announcement that could not be published
//   (Redis down at that moment; logged) leaves other instances' entries at most that old.
import type { Kv } from '../core/kv.ts';
import type { Logger } from '../core/log.ts';
import type { AccessGrant } from '../core/ports.ts';

export const TOKEN_REVOCATIONS = 'authz:tokens-revoked';
const ENTRY_MS = 5000;
/** A bound on memory: past it the oldest entry goes (a Map iterates in insertion order). */
const MAX_ENTRIES = 10_000;

type Entry = { grant: AccessGrant; until: number };

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private epoch = 0;
  private live = false;

  private constructor(
    private readonly kv: Kv,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  static async open(kv: Kv, log: Logger, now: () => number = Date.now): Promise<TokenCache> {
    const cache = new TokenCache(kv, log, now);
    await kv.listen(TOKEN_REVOCATIONS, () => cache.drop(), (live) => {
      cache.live = live;
      cache.drop();
      if (!live) log.warn({ event: 'token_cache_off' }, 'token revocations may be missed: bearer tokens are looked up on every call until Redis answers again');
    });
    return cache;
  }

  /** The grant of a token found valid less than ENTRY_MS ago, not expired since; `key` is the token's hash. */
  get(key: string): AccessGrant | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.live && e.until > this.now()) return { ...e.grant };
    this.entries.delete(key);
    return undefined;
  }

  /** Taken before the look-up whose result is then handed to `put`; null while nothing may be kept. */
  ticket(): number | null {
    return this.live ? this.epoch : null;
  }

  put(key: string, grant: AccessGrant, ticket: number | null): void {
    if (ticket === null || ticket !== this.epoch || !this.live) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { grant: { ...grant }, until: Math.min(this.now() + ENTRY_MS, grant.expiresAt.getTime()) });
  }

  /** A revocation has committed: drop this instance's entries and tell the others. */
  async revoked(): Promise<void> {
    this.drop();
    try {
      await this.kv.publish(TOKEN_REVOCATIONS, 'revoked');
    } catch (err) {
      this.log.error({ event: 'token_revocation_unannounced', err: (err as Error).message }, `a token revocation could not be announced to other instances: their cached entries end within ${ENTRY_MS} ms`);
    }
  }

  private drop(): void {
    this.entries.clear();
    this.epoch++;
  }
}
