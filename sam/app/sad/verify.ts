// First steps of signHash (DESIGN §2.3): the SAD must be a JWS made by this SAM's key, of our type, with a
// well-formed payload, and not expired. Expiry uses the SAM's clock (injected), not jose's, so tests and the
// ledger agree on "now".
import { compactVerify } from 'jose';
import { SamError } from '../../../core/sam_port.ts';
import type { SamKeys } from './sam_keys.ts';
import { SAD_TYP, sadClaimsSchema, type SadClaims } from './claims.ts';

export async function verifySadToken(sad: string, keys: SamKeys): Promise<SadClaims> {
  let payload: Uint8Array;
  try {
    const res = await compactVerify(sad, keys.sadPublicKey, { algorithms: ['ES256'] });
    if (res.protectedHeader.typ !== SAD_TYP) throw new Error('typ');
    payload = res.payload;
  } catch (err) {
    throw new SamError('SAM_SAD_INVALID', 'signature', { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new SamError('SAM_SAD_INVALID', 'payload');
  }
  const parsed = sadClaimsSchema.safeParse(json);
  if (!parsed.success) throw new SamError('SAM_SAD_INVALID', 'claims');
  return parsed.data;
}

export function requireNotExpired(claims: SadClaims, now: Date): void {
  if (claims.exp * 1000 <= now.getTime()) throw new SamError('SAM_SAD_EXPIRED');
}
