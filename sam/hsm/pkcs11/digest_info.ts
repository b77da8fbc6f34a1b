// DER DigestInfo for RSASSA-PKCS1-v1_5. CKM_RSA_PKCS pads whatever it is given, so the backend must hand it the
// complete DigestInfo { AlgorithmIdentifier(hash, NULL), OCTET STRING digest } (RFC 8017 §9.2 step 2). The
// prefixes below are the fixed encodings listed in RFC 8017 §9.2 note 1; the client's digest is appended as is,
// never re-hashed (DESIGN §2.4).
import type { HashName } from '../../../core/algorithms.ts';
import { HsmError } from '../hsm.ts';

const PREFIX: Record<HashName, string> = {
  'SHA-256': '3031300d060960864801650304020105000420',
  'SHA-384': '3041300d060960864801650304020205000430',
  'SHA-512': '3051300d060960864801650304020305000440',
};

export const DIGEST_LENGTH: Record<HashName, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** Throws HsmError('CKR_DATA_LEN_RANGE') unless `digest` has the length of `hash`. */
export function checkDigestLength(hash: HashName, digest: Uint8Array): void {
  const expected = DIGEST_LENGTH[hash];
  if (digest.length !== expected) {
    throw new HsmError('CKR_DATA_LEN_RANGE', `a ${hash} digest has ${expected} bytes, got ${digest.length}`);
  }
}

export function digestInfo(hash: HashName, digest: Uint8Array): Buffer {
  checkDigestLength(hash, digest);
  return Buffer.concat([Buffer.from(PREFIX[hash], 'hex'), digest]);
}
