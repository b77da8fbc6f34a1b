// Sign, then verify (DESIGN §2.4): no signature leaves the SAM before it verifies under the credential's public
// key. RSA is checked in software from the public key alone; ECDSA over a bare digest is beyond Node's crypto,
// so the device's verify with the public key object is used.
import { constants, publicDecrypt, type KeyObject } from 'node:crypto';
import type { DigestSignScheme, Hsm } from '../../hsm/hsm.ts';
import { hsmCall } from '../hsm_errors.ts';
import { digestInfo } from '../../../core/digest_info.ts';
import { verifyPss } from './emsa_pss.ts';

export async function verifySignature(
  hsm: Hsm,
  key: { keyId: string; publicKey: KeyObject },
  scheme: DigestSignScheme,
  digest: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  switch (scheme.kind) {
    case 'rsa-pkcs1': {
      let recovered: Buffer;
      try {
        recovered = publicDecrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      } catch {
        return false;
      }
      return recovered.equals(digestInfo(scheme.hash, digest));
    }
    case 'rsa-pss':
      return verifyPss(key.publicKey, digest, signature, scheme);
    case 'ecdsa':
      return hsmCall(() => hsm.verifyDigest(key.keyId, scheme, digest, signature));
  }
}
