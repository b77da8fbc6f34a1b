// Checks on the credential that gate both activation and every key use (DESIGN §2.3). Each throws its own code
// so that callers, tests and the audit log can tell the refusals apart.
import { SamError } from '../../../core/sam_port.ts';
import type { CredentialRecord } from '../../store/credentials.ts';

/** Unknown and not-yours answer the same, so that a caller cannot probe for other users' credential ids. */
export function requireOwnedBy(cred: CredentialRecord | null, userId: string): CredentialRecord {
  if (!cred || cred.ownerId !== userId) throw new SamError('SAM_CREDENTIAL_UNKNOWN');
  return cred;
}

export function requireEnabled(cred: CredentialRecord): void {
  if (!cred.enabled) throw new SamError('SAM_CREDENTIAL_DISABLED');
}

export function requireUnlocked(cred: CredentialRecord): void {
  if (cred.lockedAt) throw new SamError('SAM_CREDENTIAL_LOCKED');
}

/** The bound certificate must be valid now; a credential without a certificate cannot sign. */
export function requireCertificateValid(cred: CredentialRecord, now: Date): void {
  const t = now.getTime();
  if (!cred.notBefore || !cred.notAfter || t < cred.notBefore.getTime() || t > cred.notAfter.getTime()) {
    throw new SamError('SAM_CERT_NOT_VALID');
  }
}
