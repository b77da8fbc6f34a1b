// Minting a SAD (DESIGN §2.2): a compact JWS whose signing key never leaves the HSM. The HSM signs the SHA-256
// of the JWS signing input (ES256, RFC 7518 §3.4); the result is checked with the cached public key before it
// is handed out, since a bad ECDSA signature from the device would otherwise surface only at signHash.
import { createHash } from 'node:crypto';
import { compactVerify } from 'jose';
import { SamError } from '../../../core/sam_port.ts';
import type { Hsm } from '../../hsm/hsm.ts';
import { hsmCall } from '../hsm_errors.ts';
import type { SamKeys } from './sam_keys.ts';
import { SAD_TYP, type SadClaims } from './claims.ts';
import { ecdsaDerToRaw } from '../../../core/ecdsa_der.ts';

const b64u = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');

export async function mintSad(hsm: Hsm, keys: SamKeys, claims: SadClaims): Promise<string> {
  const header = { alg: 'ES256', typ: SAD_TYP, kid: keys.sadKid };
  const signingInput = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  const digest = createHash('sha256').update(signingInput).digest();
  const der = await hsmCall(() => hsm.signDigest(keys.sadKeyId, { kind: 'ecdsa' }, digest));
  let jws: string;
  try {
    jws = `${signingInput}.${b64u(ecdsaDerToRaw(der, 32))}`;
    await compactVerify(jws, keys.sadPublicKey, { algorithms: ['ES256'] });
  } catch (err) {
    throw new SamError('SAM_SIGNATURE_VERIFY_FAILED', 'SAD signature', { cause: err });
  }
  return jws;
}
