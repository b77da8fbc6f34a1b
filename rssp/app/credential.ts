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
  createdAt: Date;
};

export type NewCredentialRecord = Omit<CredentialRecord, 'createdAt'>;

export interface CredentialRepo {
  insert(record: NewCredentialRecord): Promise<CredentialRecord>;
  get(credentialID: string): Promise<CredentialRecord | null>;
  listByOwner(ownerId: string): Promise<CredentialRecord[]>;
  /** Replaces the stored chain; false when the credential does not exist. */
  replaceCertificates(credentialID: string, certificates: Uint8Array[]): Promise<boolean>;
}
