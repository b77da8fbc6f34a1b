// Hooks for integration tests of failure recovery. Not used by the service.
import type { Hsm } from '../hsm.ts';
import { DROP_ALL_SESSIONS, Pkcs11Hsm } from './pkcs11_hsm.ts';

/** C_CloseAllSessions on the token under `hsm`: every pooled session and the login die at once, as when a network
 *  HSM drops its connection. The next operations must recover by themselves. */
export function dropAllSessions(hsm: Hsm): void {
  if (!(hsm instanceof Pkcs11Hsm)) throw new TypeError('not a PKCS#11 Hsm');
  hsm[DROP_ALL_SESSIONS]();
}
