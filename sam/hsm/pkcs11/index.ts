// The PKCS#11 backend of the SAM's Hsm (sam/hsm/hsm.ts). This folder is the only code that imports pkcs11js.
import type { Logger } from '../../../core/log.ts';
import type { Hsm } from '../hsm.ts';
import { Pkcs11Hsm } from './pkcs11_hsm.ts';

export { initTokenIfAbsent } from './init_token.ts';

/** Loads the module (once per process), finds the token by label and opens `sessions` logged-in sessions.
 *  Fails with HsmError('CKR_TOKEN_NOT_PRESENT') naming the label, or the CKR_* of the login (e.g. CKR_PIN_INCORRECT). */
export async function openPkcs11Hsm(opts: {
  module: string;
  tokenLabel: string;
  pin: string;
  sessions: number;
  log?: Logger;
}): Promise<Hsm> {
  return Pkcs11Hsm.open(opts);
}
