// What the authorization server needs from the rest of the service, beyond the user directory and the SAM port.
// The authz door (authz/index.ts) adapts the credential records that service.ts hands it (rssp's) to it, so authz
// never imports rssp.

/** What the signature page shows about a credential, and what activation needs (its SCAL). */
export type CredentialSummary = {
  credentialID: string;
  ownerId: string;
  scal: '1' | '2';
  multisign: number;
  subjectDN: string;
  issuerDN: string;
  /** Human-readable key algorithm, e.g. "ECDSA P-256". */
  algorithm: string;
};

export interface CredentialCatalog {
  summary(credentialID: string): Promise<CredentialSummary | null>;
}
