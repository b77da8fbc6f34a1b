// Hooks on the async PKCS#11 calls, for the benchmark only: timing for the step profile (bench/step_probe.ts) and
// injected latency for the remote-HSM mode (bench/hsm_latency.ts). Those preload this before the service starts;
// `npm start` never does. It lives here because only sam/hsm/pkcs11/ may touch pkcs11js (DESIGN §6). pkcs11js
// defines its async calls per instance, so the class that module.ts constructs is swapped for a subclass whose calls
// are wrapped. Wrappers installed first are innermost: preload the latency before the probe and the probe's times
// include it, as they would a network HSM's round trip.
import pkcs11js from 'pkcs11js';

const ASYNC_CALLS: Record<string, string> = {
  C_SignAsync: 'hsm_sign',
  C_VerifyAsync: 'hsm_verify',
  C_DecryptAsync: 'hsm_decrypt',
  C_EncryptAsync: 'hsm_encrypt',
};

/** `start(step)` is called when a call begins and returns the function to call when it settles. */
export function timeAsyncCalls(start: (step: string) => () => void): void {
  const lib = pkcs11js as unknown as { PKCS11: new (...a: unknown[]) => Record<string, unknown> };
  const Base = lib.PKCS11;
  lib.PKCS11 = class extends Base {
    constructor(...a: unknown[]) {
      super(...a);
      for (const [name, step] of Object.entries(ASYNC_CALLS)) {
        const fn = this[name] as (...x: unknown[]) => Promise<unknown>;
        this[name] = (...x: unknown[]) => {
          const done = start(step);
          return fn.apply(this, x).finally(done);
        };
      }
    }
  };
}

/**
 * Adds `ms` of latency to every async PKCS#11 call, after the token answered and before the caller sees the answer,
 * for the benchmark's remote-HSM mode only (bench/hsm_latency.ts preloads it; `npm start` never does). It models a
 * network HSM whose each operation costs a round trip: the SAM's session stays checked out of the pool for the
 * whole call (Pkcs11Hsm awaits inside SessionPool.run), so the sessions, not the host's CPU, become the scarce
 * resource. The wait is a timer on the event loop, not a blocked libuv thread: a real client library would hold a
 * thread of the pool for the round trip, which is why the benchmark sets UV_THREADPOOL_SIZE to SAM_SESSIONS + 4 as
 * docs/performance.md recommends. The synchronous calls (C_SignInit, object look-ups) get no latency: one round
 * trip per operation, as a client library that sends the init with the operation.
 */
export function delayAsyncCalls(ms: number): void {
  if (!(ms > 0)) return;
  const wait = () => new Promise<void>((r) => setTimeout(r, ms));
  const lib = pkcs11js as unknown as { PKCS11: new (...a: unknown[]) => Record<string, unknown> };
  const Base = lib.PKCS11;
  lib.PKCS11 = class extends Base {
    constructor(...a: unknown[]) {
      super(...a);
      for (const name of [...Object.keys(ASYNC_CALLS), 'C_GenerateKeyPairAsync']) {
        const fn = this[name] as (...x: unknown[]) => Promise<unknown>;
        this[name] = (...x: unknown[]) =>
          fn.apply(this, x).then(
            async (v) => {
              await wait();
              return v;
            },
            async (err) => {
              await wait();
              throw err;
            },
          );
      }
    }
  };
}
