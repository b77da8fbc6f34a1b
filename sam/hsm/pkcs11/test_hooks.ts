// Hooks for integration tests of failure recovery and of key protection. Not used by the service.
import type { Hsm } from '../hsm.ts';
import { COUNT_OBJECTS, DROP_ALL_SESSIONS, Pkcs11Hsm, READ_PRIVATE_VALUE } from './pkcs11_hsm.ts';

/** Asks the token for a private key's secret value; a sensitive, non-extractable key must make this fail with
 *  CKR_ATTRIBUTE_SENSITIVE. */
export function readPrivateValue(hsm: Hsm, keyId: string): Promise<Uint8Array> {
  if (!(hsm instanceof Pkcs11Hsm)) throw new TypeError('not a PKCS#11 Hsm');
  return hsm[READ_PRIVATE_VALUE](keyId);
}

/** C_CloseAllSessions on the token under `hsm`: every pooled session and the login die at once, as when a network
 *  HSM drops its connection. The next operations must recover by themselves. */
export function dropAllSessions(hsm: Hsm): void {
  if (!(hsm instanceof Pkcs11Hsm)) throw new TypeError('not a PKCS#11 Hsm');
  hsm[DROP_ALL_SESSIONS]();
}

/** How many objects (keys of every class) the token holds, as C_FindObjects with an empty template sees them. */
export function countObjects(hsm: Hsm): Promise<number> {
  if (!(hsm instanceof Pkcs11Hsm)) throw new TypeError('not a PKCS#11 Hsm');
  return hsm[COUNT_OBJECTS]();
}
