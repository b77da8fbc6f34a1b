// Public keys of credentials as KeyObjects, parsed once: every signature is verified under its key (DESIGN §2.4),
// and parsing an SPKI (with its point or modulus checks) cost more than the verification itself. Keyed by the DER
// bytes, so a credential whose key changed can never be checked against the old one. Bounded: the oldest entry goes
// first.
import type { KeyObject } from 'node:crypto';
import { publicKeyOf } from '../../ca/spki.ts';

const MAX_KEYS = 10_000;
const keys = new Map<string, KeyObject>();

export function credentialPublicKey(spki: Uint8Array): KeyObject {
  const der = Buffer.from(spki);
  const id = der.toString('base64');
  let key = keys.get(id);
  if (!key) {
    key = publicKeyOf(der);
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!);
    keys.set(id, key);
  }
  return key;
}
