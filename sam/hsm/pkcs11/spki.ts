// DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) from the public attributes PKCS#11 exposes. Node's key import
// from JWK builds exactly the RFC 5480 (EC) and RFC 8017 / RFC 3279 (RSA) encodings, so no hand-made ASN.1.
import { createPublicKey } from 'node:crypto';
import { HsmError } from '../hsm.ts';
import { CURVES, type CurveName } from './ec_curves.ts';

/**
 * CKA_EC_POINT is specified as the DER OCTET STRING wrapping the X9.62 point (PKCS#11 v2.40 Current Mechanisms
 * §2.3.3); some tokens return the bare point. The length tells them apart: a bare uncompressed point is exactly
 * 1 + 2·size bytes, the wrapped one is longer.
 */
export function unwrapEcPoint(ecPoint: Uint8Array, curve: CurveName): Uint8Array {
  const size = CURVES[curve].size;
  const pointLen = 1 + 2 * size;
  if (ecPoint.length === pointLen && ecPoint[0] === 0x04) return ecPoint;
  // OCTET STRING, short or one-byte long form length (the point is at most 133 bytes for P-521)
  let off = 2;
  let len = ecPoint[1] ?? -1;
  if (len === 0x81) {
    len = ecPoint[2] ?? -1;
    off = 3;
  }
  if (ecPoint[0] !== 0x04 || len !== pointLen || ecPoint.length !== off + len || ecPoint[off] !== 0x04) {
    throw new HsmError('CKR_ATTRIBUTE_VALUE_INVALID', `CKA_EC_POINT is not an uncompressed ${curve} point`);
  }
  return ecPoint.subarray(off);
}

export function ecSpki(curve: CurveName, point: Uint8Array): Uint8Array {
  const size = CURVES[curve].size;
  const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const key = createPublicKey({
    key: { kty: 'EC', crv: curve, x: b64u(point.subarray(1, 1 + size)), y: b64u(point.subarray(1 + size)) },
    format: 'jwk',
  });
  return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
}

export function rsaSpki(modulus: Uint8Array, publicExponent: Uint8Array): Uint8Array {
  const b64u = (b: Uint8Array) => Buffer.from(stripZeros(b)).toString('base64url');
  const key = createPublicKey({ key: { kty: 'RSA', n: b64u(modulus), e: b64u(publicExponent) }, format: 'jwk' });
  return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
}

/** JWK integers have no leading zero octets (RFC 7518 §6.3.1.1); PKCS#11 big integers may. */
function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}
