// The PKCS#11 library is loaded and C_Initialize'd once per process and path (PKCS#11 v2.40 Base §5.4: a second
// C_Initialize fails with CKR_CRYPTOKI_ALREADY_INITIALIZED, and C_Finalize ends it for every user in the process).
// Users share it by reference count; the last release finalizes it.
import pkcs11js from 'pkcs11js';
import { HsmError } from '../hsm.ts';
import { toHsmError } from './ckr.ts';

export type Pkcs11 = InstanceType<typeof pkcs11js.PKCS11>;

/** `owner`: this process's C_Initialize succeeded, so C_Finalize is ours to call. */
type Loaded = { p11: Pkcs11; refs: number; owner: boolean; softhsmConf: string | undefined };

const loaded = new Map<string, Loaded>();

export function acquireModule(path: string): Pkcs11 {
  const existing = loaded.get(path);
  if (existing) {
    // SoftHSM reads SOFTHSM2_CONF only in C_Initialize: a later change would silently point at other tokens.
    if (existing.softhsmConf !== process.env.SOFTHSM2_CONF) {
      throw new HsmError(
        'CKR_CRYPTOKI_ALREADY_INITIALIZED',
        `${path} was initialised with SOFTHSM2_CONF=${existing.softhsmConf ?? '(unset)'}; it cannot change within a process`,
      );
    }
    existing.refs++;
    return existing.p11;
  }
  const p11 = new pkcs11js.PKCS11();
  try {
    p11.load(path);
  } catch (err) {
    throw new HsmError('CKR_GENERAL_ERROR', `cannot load PKCS#11 module ${path}: ${(err as Error).message}`, { cause: err });
  }
  let owner = true;
  try {
    // OS locking: async calls run on libuv's thread pool, so the library must protect itself across threads.
    p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (err) {
    const mapped = toHsmError(err);
    // Someone else in this process (another binding of the same library) initialised it: usable as is.
    if (mapped.ckr !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      p11.close();
      throw mapped;
    }
    owner = false;
  }
  loaded.set(path, { p11, refs: 1, owner, softhsmConf: process.env.SOFTHSM2_CONF });
  return p11;
}

export function releaseModule(path: string): void {
  const entry = loaded.get(path);
  if (!entry) return;
  if (--entry.refs > 0) return;
  loaded.delete(path);
  try {
    if (entry.owner) entry.p11.C_Finalize();
  } finally {
    entry.p11.close();
  }
}

export { pkcs11js };
