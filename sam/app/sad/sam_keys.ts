// The SAM's own keys, ensured at start-up: the EC P-256 pair that signs SADs (DESIGN §2.2) and the AES key
// that encrypts TOTP seeds at rest (DESIGN §2.1). Both live in the HSM; only the SAD public key is cached, as a
// KeyObject, so that SAD verification on every signHash costs no HSM round trip.
import type { KeyObject } from 'node:crypto';
import { publicKeyOf } from '../../ca/spki.ts';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import type { Hsm } from '../../hsm/hsm.ts';

export const SAD_KEY_LABEL = 'rssp-sad-signing';
export const OTP_WRAP_LABEL = 'rssp-otp-seed-wrap';

export type SamKeys = {
  sadKeyId: string;
  sadPublicKey: KeyObject;
  /** RFC 7638 thumbprint of the SAD public key: lets a verifier pick the right key after a rotation. */
  sadKid: string;
};

export async function ensureSamKeys(hsm: Hsm): Promise<SamKeys> {
  const pair = (await hsm.findKeyPair(SAD_KEY_LABEL)) ?? (await hsm.generateKeyPair({ algo: 'EC-P256', label: SAD_KEY_LABEL }));
  const sadPublicKey = publicKeyOf(pair.spki);
  // A key under our label that is not P-256 cannot make ES256 SADs; better to refuse to start than to mint
  // tokens nobody can verify.
  if (sadPublicKey.asymmetricKeyType !== 'ec' || sadPublicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`HSM key '${SAD_KEY_LABEL}' is not an EC P-256 key`);
  }
  await hsm.ensureSecretKey(OTP_WRAP_LABEL);
  const sadKid = await calculateJwkThumbprint(await exportJWK(sadPublicKey), 'sha256');
  return { sadKeyId: pair.keyId, sadPublicKey, sadKid };
}
