// Signing a DER structure (TBSCertificate, CertificationRequestInfo) with a key that stays in the HSM: we hash,
// the HSM signs the digest, and we verify the result with the public key before anyone sees it (DESIGN §2.4:
// some SoftHSM/OpenSSL builds have produced invalid ECDSA signatures).
import { createHash } from 'node:crypto';
import { SamError } from '../../core/sam_port.ts';
import type { Hsm } from '../hsm/hsm.ts';
import { nodeHash, verifySignature, type SigningAlgorithm } from './signature_algorithm.ts';
import { publicKeyOf } from './spki.ts';

export async function signWithHsm(
  hsm: Hsm,
  key: { keyId: string; spki: Uint8Array },
  algorithm: SigningAlgorithm,
  data: Uint8Array,
): Promise<Uint8Array> {
  const digest = createHash(nodeHash(algorithm.hash)).update(data).digest();
  const signature = await hsm.signDigest(key.keyId, algorithm.scheme, new Uint8Array(digest));
  const check = verifySignature(algorithm.identifier, data, signature, publicKeyOf(key.spki));
  if (!check.ok) throw new SamError('SAM_SIGNATURE_VERIFY_FAILED', `HSM signature over a certificate structure: ${check.reason}`);
  return signature;
}
