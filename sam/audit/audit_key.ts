// The key that signs audit checkpoints: EC P-256, generated in the token under its own label (never the SAD key,
// so that rotating one leaves the other alone) and never extractable. Only its public half leaves the HSM, in
// exports, so that anyone can check a checkpoint.
import type { KeyObject } from 'node:crypto';
import { publicKeyOf } from '../ca/spki.ts';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import type { Hsm } from '../hsm/hsm.ts';

const AUDIT_KEY_LABEL = 'rssp-audit-checkpoint';

export type AuditKey = { keyId: string; publicKey: KeyObject; spki: Uint8Array; kid: string };

export async function ensureAuditKey(hsm: Hsm): Promise<AuditKey> {
  const pair = (await hsm.findKeyPair(AUDIT_KEY_LABEL)) ?? (await hsm.generateKeyPair({ algo: 'EC-P256', label: AUDIT_KEY_LABEL }));
  const publicKey = publicKeyOf(pair.spki);
  if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`HSM key '${AUDIT_KEY_LABEL}' is not an EC P-256 key`);
  }
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
  return { keyId: pair.keyId, publicKey, spki: pair.spki, kid };
}
