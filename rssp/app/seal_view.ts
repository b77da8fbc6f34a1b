// How credentialInfo (CSC v2 §11.4, §11.5) describes an e-seal: the kind of signature it is for, and the factors
// its activation takes. A SCAL 1 seal is activated with its PIN alone, once per batch (sam/app/seal_batch.ts); a
// SCAL 2 seal with its PIN and the organisation's TOTP, every batch bound to its hashes.
import { isOrganisationOwner } from '../../core/owner.ts';
import type { CredentialRecord } from './credential.ts';

/** CSC v2 §11.11 signatureQualifier: an advanced electronic seal (eIDAS). The development CA is no qualified trust
 *  service, so nothing here claims a qualified seal (eu_eidas_qeseal). */
const SEAL_SIGNATURE_QUALIFIER = 'eu_eidas_aeseal';

/** The shape of credential_view.ts AuthObject (not imported: that file imports this one). */
type AuthObject = { type: 'Password'; id: 'PIN' | 'OTP'; format: 'N'; generator?: 'totp'; label: string; description: string };

const PIN: AuthObject = { type: 'Password', id: 'PIN', format: 'N', label: 'PIN', description: 'The PIN of this seal, held by the sealing system' };
const TOTP: AuthObject = {
  type: 'Password',
  id: 'OTP',
  format: 'N',
  generator: 'totp',
  label: 'OTP',
  description: "The current 6-digit code of the organisation's TOTP seed",
};

export type SealView = { signatureQualifier: string; expression: string; objects: AuthObject[] };

/** null for a person's credential. */
export function sealView(record: Pick<CredentialRecord, 'ownerId' | 'scal'>): SealView | null {
  if (!isOrganisationOwner(record.ownerId)) return null;
  return record.scal === '1'
    ? { signatureQualifier: SEAL_SIGNATURE_QUALIFIER, expression: 'PIN', objects: [{ ...PIN }] }
    : { signatureQualifier: SEAL_SIGNATURE_QUALIFIER, expression: 'PIN AND OTP', objects: [{ ...PIN }, { ...TOTP }] };
}
