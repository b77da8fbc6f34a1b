// Key types and credential ids of new credentials, a person's (credential_service.ts) or an organisation's
// (create_seal.ts).
import { randomBytes } from 'node:crypto';
import type { KeyAlgo } from '../../core/sam_port.ts';

export type SignatureAlgoName = 'ES256' | 'ES384' | 'RS256' | 'RS384' | 'PS256';

/** Key type in the token for a JOSE-style algorithm name. PS256 keys are restricted to RSASSA-PSS. */
export function keyAlgoFor(algo: SignatureAlgoName, rsaBits: 2048 | 3072 = 2048): { keyAlgo: KeyAlgo; pssOnly: boolean } {
  switch (algo) {
    case 'ES256':
      return { keyAlgo: 'EC-P256', pssOnly: false };
    case 'ES384':
      return { keyAlgo: 'EC-P384', pssOnly: false };
    case 'RS256':
    case 'RS384':
      return { keyAlgo: `RSA-${rsaBits}`, pssOnly: false };
    case 'PS256':
      return { keyAlgo: `RSA-${rsaBits}`, pssOnly: true };
  }
}

/** 128 random bits in lower-case hex: unguessable, safe in URLs and RAR JSON without escaping, and never starting
 *  with '-', which command lines (`--id -x…`, `--credential -x…`) would take for an option. */
export function newCredentialID(): string {
  return randomBytes(16).toString('hex');
}
