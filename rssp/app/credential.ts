// What rssp knows about a credential (CSC v2 §11.4 credentialInfo), and the port of the store that keeps it.
// The key and the activation factors are the SAM's; this is the published policy and the certificate chain.
import type { KeyAlgo } from '../../core/sam_port.ts';

export type Scal = '1' | '2';
export type AuthMode = 'explicit' | 'oauth2code';

export type CredentialRecord = {
  credentialID: string;
  ownerId: string;
  description: string | null;
  /** CSC v2 §11.4 SCAL: "2" when the SAD is bound to the hashes to be signed. */
  scal: Scal;
  /** CSC v2 §11.4 auth/mode: explicit (credentials/authorize) or oauth2code (OAuth scope "credential"). */
  authMode: AuthMode;
  /** Most signatures one authorization may produce (CSC v2 §11.4 multisign, ≥ 1). */
  multisign: number;
  keyAlgo: KeyAlgo;
  /** DER, end-entity first. */
  certificates: Uint8Array[];
  /** A one-time credential (CSC v2.2 credentials/create): the SAM deletes it after its transaction or at expiry. */
  oneTime: boolean;
  createdAt: Date;
};

export type NewCredentialRecord = Omit<CredentialRecord, 'createdAt' | 'oneTime'> & { oneTime?: boolean };

export interface CredentialRepo {
  insert(record: NewCredentialRecord): Promise<CredentialRecord>;
  get(credentialID: string): Promise<CredentialRecord | null>;
  listByOwner(ownerId: string): Promise<CredentialRecord[]>;
  /** Marks the credential deleted (CSC v2.2 credentials/delete): get and listByOwner no longer see it. False when
   *  there was no such undeleted credential. */
  markDeleted(credentialID: string): Promise<boolean>;
  /** Replaces the stored chain; false when the credential does not exist. */
  replaceCertificates(credentialID: string, certificates: Uint8Array[]): Promise<boolean>;
}
