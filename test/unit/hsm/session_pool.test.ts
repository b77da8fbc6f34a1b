// The pool's queueing and recovery with fake sessions (numbers); the real token is in test/integration/hsm.
import { describe, expect, it } from 'vitest';
import { HsmError } from '../../../sam/hsm/hsm.ts';
import { SessionPool } from '../../../sam/hsm/pkcs11/session_pool.ts';

function fakeFactory() {
  let next = 1;
  const opened: number[] = [];
  const closed: number[] = [];
  return {
    opened,
    closed,
    failOpen: null as HsmError | null,
    async open() {
      if (this.failOpen) throw this.failOpen;
      const s = next++;
      opened.push(s);
      return s;
    },
    close(s: number) {
      closed.push(s);
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('SessionPool', () => {
  it('opens every session at start and never runs two operations on one session at once', async () => {
    const f = fakeFactory();
    const pool = new SessionPool(f, 3);
    await pool.start();
    expect(f.opened).toEqual([1, 2, 3]);
    const inUse = new Set<number>();
    let maxParallel = 0;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        pool.run(async (s) => {
          expect(inUse.has(s)).toBe(false);
          inUse.add(s);
          maxParallel = Math.max(maxParallel, inUse.size);
          await tick();
          inUse.delete(s);
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(maxParallel).toBe(3);
    expect(f.opened).toEqual([1, 2, 3]);
  });

  it('serves queued callers in arrival order', async () => {
    const pool = new SessionPool(fakeFactory(), 1);
    const order: number[] = [];
    let release!: () => void;
    const first = pool.run(() => new Promise<void>((r) => (release = r)));
    const waiting = [1, 2, 3].map((i) => pool.run(async () => void order.push(i)));
    await tick();
    expect(pool.queued).toBe(3);
    release();
    await Promise.all([first, ...waiting]);
    expect(order).toEqual([1, 2, 3]);
  });

  it('replaces a lost session and retries the operation once', async () => {
    const f = fakeFactory();
    const recovered: string[] = [];
    const pool = new SessionPool(f, 1, { onRecover: (kind, err) => recovered.push(`${kind}:${err.ckr}`) });
    await pool.start();
    const seen: number[] = [];
    const out = await pool.run(async (s) => {
      seen.push(s);
      if (s === 1) throw Object.assign(new Error('CKR_SESSION_HANDLE_INVALID'), { code: 0xb3 });
      return 'signed';
    });
    expect(out).toBe('signed');
    expect(seen).toEqual([1, 2]);
    expect(f.closed).toEqual([1]);
    expect(recovered).toEqual(['reopen-session:CKR_SESSION_HANDLE_INVALID']);
  });

  it('retries a stale handle on the same session', async () => {
    const f = fakeFactory();
    const pool = new SessionPool(f, 1);
    let calls = 0;
    const out = await pool.run(async (s) => {
      if (calls++ === 0) throw new HsmError('CKR_OBJECT_HANDLE_INVALID');
      return s;
    });
    expect(out).toBe(1);
    expect(f.closed).toEqual([]);
  });

  it('gives up after one retry with the CKR_* of the second failure, leaving a fresh session for the next caller', async () => {
    const f = fakeFactory();
    const pool = new SessionPool(f, 1);
    await pool.start();
    const err = await pool.run(async () => {
      throw new HsmError('CKR_DEVICE_REMOVED');
    }).catch((e: unknown) => e);
    expect((err as HsmError).ckr).toBe('CKR_DEVICE_REMOVED');
    expect(f.closed).toEqual([1, 2]);
    expect(await pool.run(async (s) => s)).toBe(3);
  });

  it('does not retry other failures and keeps the session', async () => {
    const f = fakeFactory();
    const pool = new SessionPool(f, 1);
    let calls = 0;
    const err = await pool.run(async () => {
      calls++;
      throw Object.assign(new Error('CKR_PIN_INCORRECT'), { code: 0xa0 });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HsmError);
    expect((err as HsmError).ckr).toBe('CKR_PIN_INCORRECT');
    expect(calls).toBe(1);
    expect(await pool.run(async (s) => s)).toBe(1);
  });

  it('reports a failed re-open and tries again on the next borrow', async () => {
    const f = fakeFactory();
    const pool = new SessionPool(f, 1);
    await pool.start();
    f.failOpen = new HsmError('CKR_TOKEN_NOT_PRESENT');
    const err = await pool.run(async () => {
      throw new HsmError('CKR_SESSION_CLOSED');
    }).catch((e: unknown) => e);
    expect((err as HsmError).ckr).toBe('CKR_TOKEN_NOT_PRESENT');
    f.failOpen = null;
    expect(await pool.run(async (s) => s)).toBe(2);
  });

  it('close waits for running work, fails queued and later callers, and closes every session', async () => {
    const f = fakeFactory();
    const pool = new SessionPool(f, 1);
    await pool.start();
    let release!: () => void;
    const running = pool.run(() => new Promise<string>((r) => (release = () => r('done'))));
    const queued = pool.run(async () => 'never').catch((e: HsmError) => e.ckr);
    await tick();
    const closing = pool.close();
    expect(await queued).toBe('CKR_CRYPTOKI_NOT_INITIALIZED');
    expect(f.closed).toEqual([]);
    release();
    await closing;
    expect(await running).toBe('done');
    expect(f.closed).toEqual([1]);
    const late = await pool.run(async () => 'x').catch((e: HsmError) => e.message);
    expect(late).toBe('CKR_CRYPTOKI_NOT_INITIALIZED: the HSM connection is closed');
  });

  it('refuses a size below one', () => {
    expect(() => new SessionPool(fakeFactory(), 0)).toThrow('CKR_ARGUMENTS_BAD: pool size must be at least 1');
  });
});
