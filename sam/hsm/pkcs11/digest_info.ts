// DER DigestInfo for RSASSA-PKCS1-v1_5. CKM_RSA_PKCS pads whatever it is given, so the backend must hand it the
// complete DigestInfo { AlgorithmIdentifier(hash, NULL), OCTET STRING digest } (RFC 8017 §9.2 step 2), built by
// core/digest_info.ts; the client's digest is appended as is, never re-hashed (DESIGN §2.4).
import type { HashName } from '../../../core/algorithms.ts';
import { digestInfo as derDigestInfo } from '../../../core/digest_info.ts';
import { HsmError } from '../hsm.ts';

export const DIGEST_LENGTH: Record<HashName, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** Throws HsmError('CKR_DATA_LEN_RANGE') unless `digest` has the length of `hash`. */
export function checkDigestLength(hash: HashName, digest: Uint8Array): void {
  const expected = DIGEST_LENGTH[hash];
  if (digest.length !== expected) {
    throw new HsmError('CKR_DATA_LEN_RANGE', `a ${hash} digest has ${expected} bytes, got ${digest.length}`);
  }
}

/** The DigestInfo for CKM_RSA_PKCS, refused (as the token would) when the digest has another length. */
export function digestInfo(hash: HashName, digest: Uint8Array): Buffer {
  checkDigestLength(hash, digest);
  return derDigestInfo(hash, digest);
}
