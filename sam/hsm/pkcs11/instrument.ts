// Timing hooks on the async PKCS#11 calls, for the benchmark's step profile only (bench/step_probe.ts preloads
// this before the service starts; `npm start` never does). It lives here because only sam/hsm/pkcs11/ may touch
// pkcs11js (DESIGN §6). pkcs11js defines its async calls per instance, so the class that module.ts constructs is
// swapped for a subclass whose calls report their duration.
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
