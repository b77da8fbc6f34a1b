// A fixed set of logged-in PKCS#11 sessions shared by all requests. A session runs one cryptographic operation at
// a time (PKCS#11 v2.40 Base §5.6: C_SignInit … C_Sign is a per-session state machine), so each operation borrows
// a session for its whole duration and callers queue, first come first served, when all are busy.
//
// Sessions die for reasons that say nothing about the token (a network HSM drops a connection, someone calls
// C_CloseAllSessions, the login is lost): such an operation gets a fresh session and is retried exactly once.
// This file is generic over the session type so that its queueing and recovery can be unit-tested with fakes.
import { HsmError } from '../hsm.ts';
import { recoveryFor, toHsmError, type Recovery } from './ckr.ts';

export type SessionFactory<S> = {
  /** Opens a session and makes sure the user is logged in. */
  open(): Promise<S>;
  /** Best effort: the session may already be gone. */
  close(session: S): void;
};

export type PoolEvents = {
  /** Called before the retry, e.g. to drop cached object handles. `err` carries only a CKR_* name. */
  onRecover?(kind: Exclude<Recovery, null>, err: HsmError): void;
};

type Slot<S> = { session: S | null };

export class SessionPool<S> {
  private readonly idle: Slot<S>[] = [];
  private readonly waiters: { resolve(slot: Slot<S>): void; reject(err: Error): void }[] = [];
  private busy = 0;
  private closed = false;
  private drained: (() => void) | null = null;

  constructor(
    private readonly factory: SessionFactory<S>,
    readonly size: number,
    private readonly events: PoolEvents = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new HsmError('CKR_ARGUMENTS_BAD', 'pool size must be at least 1');
    for (let i = 0; i < size; i++) this.idle.push({ session: null });
  }

  /** Opens every session now, so that a wrong PIN or a missing token fails at start-up, not on the first request. */
  async start(): Promise<void> {
    for (const slot of this.idle) {
      if (slot.session === null) slot.session = await this.openMapped();
    }
  }

  /** Runs `op` on a borrowed session; on a lost session or stale handle, recovers and retries once. */
  async run<T>(op: (session: S) => Promise<T>): Promise<T> {
    const slot = await this.acquire();
    try {
      try {
        return await op(await this.sessionOf(slot));
      } catch (raw) {
        const err = toHsmError(raw);
        const kind = recoveryFor(err);
        if (kind === null) throw err;
        if (kind === 'reopen-session') this.discard(slot);
        this.events.onRecover?.(kind, err);
        try {
          return await op(await this.sessionOf(slot));
        } catch (raw2) {
          const err2 = toHsmError(raw2);
          // Leave the next borrower a fresh session rather than the one that just failed twice.
          if (recoveryFor(err2) === 'reopen-session') this.discard(slot);
          throw err2;
        }
      }
    } finally {
      this.release(slot);
    }
  }

  /** Refuses new work, fails queued callers, waits for running operations, then closes every session. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(closedError());
    if (this.busy > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    for (const slot of this.idle) this.discard(slot);
  }

  /** Sessions handed out right now (for metrics). */
  get inUse(): number {
    return this.busy;
  }

  /** Number of callers waiting for a session (for tests and metrics). */
  get queued(): number {
    return this.waiters.length;
  }

  private acquire(): Promise<Slot<S>> {
    if (this.closed) return Promise.reject(closedError());
    const slot = this.idle.pop();
    if (slot) {
      this.busy++;
      return Promise.resolve(slot);
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private release(slot: Slot<S>): void {
    const next = this.waiters.shift();
    if (next && !this.closed) {
      next.resolve(slot); // handed over directly: stays busy
      return;
    }
    this.busy--;
    this.idle.push(slot);
    if (this.closed && this.busy === 0) this.drained?.();
  }

  private async sessionOf(slot: Slot<S>): Promise<S> {
    slot.session ??= await this.openMapped();
    return slot.session;
  }

  private discard(slot: Slot<S>): void {
    if (slot.session === null) return;
    const s = slot.session;
    slot.session = null;
    try {
      this.factory.close(s);
    } catch {
      // already gone: that is why it is being discarded
    }
  }

  private async openMapped(): Promise<S> {
    try {
      return await this.factory.open();
    } catch (err) {
      throw toHsmError(err);
    }
  }
}

function closedError(): HsmError {
  return new HsmError('CKR_CRYPTOKI_NOT_INITIALIZED', 'the HSM connection is closed');
}
