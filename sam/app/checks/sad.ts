// Checks binding a verified SAD to the request at hand (DESIGN §2.3): the server-side record exists and is not
// revoked, and the SAD's credential, signer and client are the ones asking now.
import { SamError } from '../../../core/sam_port.ts';
import type { CredentialRecord } from '../../store/credentials.ts';
import type { SadRecord } from '../../store/sads.ts';
import { takeFromMultiset } from '../../store/multiset.ts';
import type { SadClaims } from '../sad/claims.ts';
import { hashListCommitment } from '../sad/commitment.ts';

/** A SAD we signed but have no record of was never issued by this deployment (or its record was purged). The
 *  record must also say what the token says; anything else means tampering with one of them. */
export function requireSadLive(sad: SadRecord | null, claims: SadClaims): SadRecord {
  if (!sad) throw new SamError('SAM_SAD_INVALID', 'unknown SAD');
  if (sad.revokedAt) throw new SamError('SAM_SAD_REVOKED');
  if (
    sad.userId !== claims.sub ||
    sad.clientId !== claims.azp ||
    sad.credentialId !== claims.cid ||
    sad.n !== claims.n ||
    (sad.hashAlg ?? undefined) !== claims.hashAlg
  ) {
    throw new SamError('SAM_SAD_INVALID', 'record mismatch');
  }
  requireCommittedHashes(sad, claims);
  return sad;
}

/**
 * The stored hash lists must be the ones the SAD commits to (issue #14 finding 3): the list as minted hashes to
 * `hsh`, and what is still signable is drawn from it. Without this a database writer could blank the list
 * (`hashes = NULL` reads as a count-only SAD) or swap in other hashes, and the SAM would sign them. A SAD minted
 * without a list (SCAL 1, count only) must have none stored either.
 */
export function requireCommittedHashes(sad: Pick<SadRecord, 'hashes' | 'authorized'>, claims: Pick<SadClaims, 'hsh'>): void {
  const intact =
    claims.hsh === undefined
      ? sad.hashes === null && sad.authorized === null
      : sad.hashes !== null &&
        sad.authorized !== null &&
        hashListCommitment(sad.authorized) === claims.hsh &&
        takeFromMultiset(sad.authorized, sad.hashes) !== null;
  if (!intact) throw new SamError('SAM_SAD_INVALID', 'stored hashes do not match the SAD');
}

/** At SCAL 2 every SAD is bound to its hashes (DESIGN §2): one without a commitment was never minted for this
 *  credential by activate, whatever the caller or the database claims. */
export function requireScalBinding(claims: Pick<SadClaims, 'hsh'>, cred: Pick<CredentialRecord, 'scal'>): void {
  if (cred.scal === '2' && claims.hsh === undefined) throw new SamError('SAM_SAD_INVALID', 'SAD not bound to hashes at SCAL 2');
}

export function requireSadForCredential(claims: SadClaims, credentialID: string): void {
  if (claims.cid !== credentialID) throw new SamError('SAM_SAD_WRONG_CREDENTIAL');
}

export function requireCredentialExists(cred: CredentialRecord | null): CredentialRecord {
  if (!cred) throw new SamError('SAM_CREDENTIAL_UNKNOWN');
  return cred;
}

/** The SAD's signer must own the key and be the one calling (sole control: nobody signs with another's SAD). */
export function requireOwner(claims: SadClaims, cred: CredentialRecord, userId: string): void {
  if (cred.ownerId !== claims.sub || claims.sub !== userId) throw new SamError('SAM_NOT_OWNER');
}

/** The SAD was authorized for one signature application (azp); another client cannot spend it. */
export function requireClient(claims: SadClaims, clientId: string): void {
  if (claims.azp !== clientId) throw new SamError('SAM_WRONG_CLIENT');
}

export function requireHashes(hashes: readonly Uint8Array[]): void {
  if (hashes.length === 0) throw new SamError('SAM_HASHES_REQUIRED');
}
