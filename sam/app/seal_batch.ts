// The batch of a SCAL 1 e-seal (CSC v2 §8.5.3, third strategy: "a SAD for a high but limited number of
// signatures"): an organisation's credential activated with its PIN once, for a SAD that binds no hashes and is
// spent signature by signature across signHash calls (sam.sads.used, counted in the consumption transaction)
// until its count or its window runs out. The count is bounded by the credential's multisign (checked by activate
// as for any credential) and by SEAL_BATCH_MAX_SIGNATURES; the window is SEAL_BATCH_SECONDS.
//
// Everything else keeps the rules of a person's credential: a SCAL 2 seal binds the hashes of every batch, and a
// SCAL 1 seal that sends hashes gets them bound with the ordinary SAD lifetime.
import { isOrganisationOwner } from '../../core/owner.ts';
import { SamError } from '../../core/sam_port.ts';
import type { CredentialRecord } from '../store/credentials.ts';
import type { SamDeps } from './deps.ts';

/** SEAL_BATCH_MAX_SIGNATURES and SEAL_BATCH_SECONDS when the configuration says nothing (unit tests). */
export const DEFAULT_SEAL_BATCH = { maxSignatures: 1000, seconds: 3600 } as const;

/** Seconds the SAD of this activation stays valid; refuses a seal batch larger than the operator allows. */
export function sadLifetimeFor(
  config: Pick<SamDeps['config'], 'sadLifetimeSeconds' | 'sealBatch'>,
  cred: Pick<CredentialRecord, 'ownerId' | 'scal'>,
  numSignatures: number,
  boundHashes: Uint8Array[] | null,
): number {
  if (!isSealBatch(cred, boundHashes)) return config.sadLifetimeSeconds;
  if (numSignatures > config.sealBatch.maxSignatures) {
    throw new SamError('SAM_TOO_MANY_SIGNATURES', `${numSignatures} signatures, a seal batch allows at most ${config.sealBatch.maxSignatures}`);
  }
  return config.sealBatch.seconds;
}

/** A count-only activation of an organisation's SCAL 1 credential. */
export function isSealBatch(cred: Pick<CredentialRecord, 'ownerId' | 'scal'>, boundHashes: Uint8Array[] | null): boolean {
  return isOrganisationOwner(cred.ownerId) && cred.scal === '1' && boundHashes === null;
}
