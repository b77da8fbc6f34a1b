// RFC 7638 JWK thumbprint of a public key, computed synchronously from the key itself: SHA-256 over the JSON of the
// key type's required members in lexicographic order, no whitespace, base64url. The audit verifier uses it to check
// that a key presented under a kid really is the key that kid names (issue #14 finding 2); jose's
// calculateJwkThumbprint gives the same value but is asynchronous.
import { createHash, type KeyObject } from 'node:crypto';

const REQUIRED: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

export function jwkThumbprint(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  const members = REQUIRED[jwk.kty ?? ''];
  if (!members) throw new Error(`no RFC 7638 members for key type ${jwk.kty}`);
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}
