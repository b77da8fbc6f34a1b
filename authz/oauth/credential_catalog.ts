// Adapts the credential records (rssp's, handed to the authz door by service.ts as a plain look-up) to what the
// signature page shows: subject and issuer of the end-entity certificate, key algorithm, SCAL and multisign.
import { describeCertificate } from '../../core/cert_info.ts';
import type { KeyAlgo } from '../../core/sam_port.ts';
import type { CredentialCatalog, CredentialSummary } from './ports.ts';

type RecordLike = { credentialID: string; ownerId: string; scal: '1' | '2'; multisign: number; keyAlgo: KeyAlgo; certificates: Uint8Array[] };

const ALGO_NAMES: Record<KeyAlgo, string> = {
  'EC-P256': 'ECDSA P-256',
  'EC-P384': 'ECDSA P-384',
  'RSA-2048': 'RSA 2048',
  'RSA-3072': 'RSA 3072',
};

export function credentialCatalog(records: { get(credentialID: string): Promise<RecordLike | null> }): CredentialCatalog {
  return {
    async summary(credentialID: string): Promise<CredentialSummary | null> {
      const r = await records.get(credentialID);
      if (!r) return null;
      let subjectDN = '';
      let issuerDN = '';
      if (r.certificates[0]) {
        const d = describeCertificate(r.certificates[0]);
        subjectDN = d.subjectDN;
        issuerDN = d.issuerDN;
      }
      return { credentialID, ownerId: r.ownerId, scal: r.scal, multisign: r.multisign, subjectDN, issuerDN, algorithm: ALGO_NAMES[r.keyAlgo] ?? r.keyAlgo };
    },
  };
}
