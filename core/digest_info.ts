// DER DigestInfo (RFC 8017 §9.2 note 1): the fixed prefix per hash, followed by the digest. PKCS#1 v1.5
// signatures are over exactly this structure: the PKCS#11 backend hands it to CKM_RSA_PKCS (which pads whatever it
// is given), and recovering it from a signature proves the signature covers the client's digest, not a re-hash of
// it. The one table of prefixes; callers check the digest's length first.
import type { HashName } from './algorithms.ts';

const PREFIX: Record<HashName, string> = {
  'SHA-256': '3031300d060960864801650304020105000420',
  'SHA-384': '3041300d060960864801650304020205000430',
  'SHA-512': '3051300d060960864801650304020305000440',
};

export function digestInfo(hash: HashName, digest: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(PREFIX[hash], 'hex'), digest]);
}
