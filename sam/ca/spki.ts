// Reading SubjectPublicKeyInfo: which of our key types it is, and whether two encodings carry the same key.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { parseCertificate } from '../../core/cert_info.ts';
import type { KeyAlgo } from '../../core/sam_port.ts';

/** Node's view of a DER SPKI; a TypeError for bytes that are not one. */
export function publicKeyOf(spki: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (e) {
    throw new TypeError('Not a DER SubjectPublicKeyInfo', { cause: e });
  }
}

/** The KeyAlgo of a public key, or null for a key type the SAM does not generate (e.g. RSA-1024, P-521, Ed25519). */
export function keyAlgoOf(key: KeyObject): KeyAlgo | null {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return 'EC-P256';
    if (details.namedCurve === 'secp384r1') return 'EC-P384';
    return null;
  }
  if (key.asymmetricKeyType === 'rsa') {
    if (details.modulusLength === 2048) return 'RSA-2048';
    if (details.modulusLength === 3072) return 'RSA-3072';
  }
  return null;
}

/**
 * Same key, whatever the encoding: an SPKI may legitimately differ in bytes for one key (RSA parameters NULL or
 * absent, EC point compressed or not), so the comparison is on the key's mathematical components (JWK).
 */
export function sameKey(a: KeyObject, b: KeyObject): boolean {
  if (a.asymmetricKeyType !== b.asymmetricKeyType) return false;
  const ja = a.export({ format: 'jwk' });
  const jb = b.export({ format: 'jwk' });
  return ja.kty === jb.kty && ja.crv === jb.crv && ja.x === jb.x && ja.y === jb.y && ja.n === jb.n && ja.e === jb.e;
}

/** DER SubjectPublicKeyInfo of a DER certificate. */
export function certificateSpki(certificate: Uint8Array): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(parseCertificate(certificate).tbsCertificate.subjectPublicKeyInfo));
}
