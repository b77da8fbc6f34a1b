import pkcs11js from 'pkcs11js';
import { afterEach, describe, expect, it } from 'vitest';
import { delayAsyncCalls } from '../../../sam/hsm/pkcs11/instrument.ts';

// A stand-in for the native class: delayAsyncCalls subclasses whatever module.ts would construct.
class FakePkcs11 {
  C_SignAsync = async (x: string) => `signed ${x}`;
  C_VerifyAsync = async () => {
    throw new Error('CKR_SIGNATURE_INVALID');
  };
  C_DecryptAsync = async () => 'plain';
  C_EncryptAsync = async () => 'sealed';
  C_GenerateKeyPairAsync = async () => 'pair';
  C_SignInit = () => 'init';
}

const lib = pkcs11js as unknown as { PKCS11: unknown };
const original = lib.PKCS11;
afterEach(() => {
  lib.PKCS11 = original;
});

const make = () => new (lib.PKCS11 as new () => FakePkcs11)();
async function timed<T>(p: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t0 = performance.now();
  try {
    const value = await p();
    return { ms: performance.now() - t0, value };
  } catch (error) {
    return { ms: performance.now() - t0, error };
  }
}

describe('injected PKCS#11 latency (benchmark remote-HSM mode)', () => {
  it('delays every async call by the latency, and passes its answer through', async () => {
    lib.PKCS11 = FakePkcs11;
    delayAsyncCalls(40);
    const p11 = make();
    const sign = await timed(() => p11.C_SignAsync('digest'));
    expect(sign.value).toBe('signed digest');
    expect(sign.ms).toBeGreaterThanOrEqual(38); // timers may fire a hair early on a coarse clock
    for (const call of [() => p11.C_DecryptAsync(), () => p11.C_EncryptAsync(), () => p11.C_GenerateKeyPairAsync()]) {
      expect((await timed(call)).ms).toBeGreaterThanOrEqual(38);
    }
  });

  it('delays a refusal too, and keeps its error', async () => {
    lib.PKCS11 = FakePkcs11;
    delayAsyncCalls(40);
    const verify = await timed(() => make().C_VerifyAsync());
    expect((verify.error as Error).message).toBe('CKR_SIGNATURE_INVALID');
    expect(verify.ms).toBeGreaterThanOrEqual(38);
  });

  it('leaves the synchronous calls alone, and changes nothing at 0 ms', async () => {
    lib.PKCS11 = FakePkcs11;
    delayAsyncCalls(0);
    expect(lib.PKCS11).toBe(FakePkcs11);
    delayAsyncCalls(40);
    const p11 = make();
    expect(p11.C_SignInit()).toBe('init');
    expect((await timed(() => p11.C_SignAsync('x'))).value).toBe('signed x');
  });
});
