// From a DigestSignScheme to the PKCS#11 mechanism and the exact bytes the token signs. All three mechanisms are
// the "raw" ones that take a digest computed elsewhere: the client hashed the document (CSC v2 §11.10 signHash),
// the HSM must not hash again (DESIGN §2.4).
import type { Mechanism, RsaPSS } from 'pkcs11js';
import type { HashName } from '../../../core/algorithms.ts';
import { HsmError } from '../hsm.ts';
import type { DigestSignScheme } from '../hsm.ts';
import { checkDigestLength, digestInfo, DIGEST_LENGTH } from './digest_info.ts';
import { pkcs11js as P } from './module.ts';

const HASH_MECH: Record<HashName, number> = { 'SHA-256': P.CKM_SHA256, 'SHA-384': P.CKM_SHA384, 'SHA-512': P.CKM_SHA512 };
const MGF1: Record<HashName, number> = {
  'SHA-256': P.CKG_MGF1_SHA256,
  'SHA-384': P.CKG_MGF1_SHA384,
  'SHA-512': P.CKG_MGF1_SHA512,
};

export type SignInput = { mechanism: Mechanism; data: Buffer; keyType: 'EC' | 'RSA' };

export function signInput(scheme: DigestSignScheme, digest: Uint8Array): SignInput {
  switch (scheme.kind) {
    case 'ecdsa':
      // CKM_ECDSA signs whatever it gets (truncated to the order's bit length); we only accept SHA-2 sized
      // digests so that a caller's confusion shows up here rather than as a valid signature of a wrong value.
      if (!Object.values(DIGEST_LENGTH).includes(digest.length)) {
        throw new HsmError('CKR_DATA_LEN_RANGE', `an ECDSA digest has 32, 48 or 64 bytes, got ${digest.length}`);
      }
      return { mechanism: { mechanism: P.CKM_ECDSA }, data: Buffer.from(digest), keyType: 'EC' };
    case 'rsa-pkcs1':
      // RFC 8017 §8.2.1: CKM_RSA_PKCS applies EMSA-PKCS1-v1_5 padding to the DigestInfo we build.
      return { mechanism: { mechanism: P.CKM_RSA_PKCS }, data: digestInfo(scheme.hash, digest), keyType: 'RSA' };
    case 'rsa-pss': {
      // RFC 8017 §8.1 with the parameters of signAlgoParams (RFC 4055 §3.1); CKM_RSA_PKCS_PSS takes the digest.
      checkDigestLength(scheme.hash, digest);
      if (!Number.isInteger(scheme.saltLength) || scheme.saltLength < 0) {
        throw new HsmError('CKR_MECHANISM_PARAM_INVALID', 'PSS salt length must be a non-negative integer');
      }
      const parameter: RsaPSS = {
        type: P.CK_PARAMS_RSA_PSS,
        hashAlg: HASH_MECH[scheme.hash],
        mgf: MGF1[scheme.mgfHash],
        saltLen: scheme.saltLength,
      };
      return { mechanism: { mechanism: P.CKM_RSA_PKCS_PSS, parameter }, data: Buffer.from(digest), keyType: 'RSA' };
    }
  }
}
