// The two RAR types (RFC 9396) of CSC v2.2 that authorize managing credentials rather than signing with one: creation
// (credentials/create, ETSI TS 119 432 V1.3.1 §11.4) and deletion of one named credential (credentials/delete, §11.5).
// Each type has a short name and the URI form of CSC v2.2, as for "credential" (credential_request.ts); the names and
// fields follow the CSC data model as the EUDI reference QTSP and A-SIT's csc-data-classes spell them:
//
//   { "type": "credential_creation" | "https://cloudsignatureconsortium.org/2025/credential-creation",
//     "credentialCreationRequest": { "certificatePolicy": <OID>, "subjectData": {…} } }      (both members optional)
//   { "type": "credential_deletion" | "https://cloudsignatureconsortium.org/2025/credential-deletion",
//     "credentialID": "…" }
//
// The token granted from such a detail is good for exactly one call of its method (and, for deletion, for the named
// credential of its owner only); it cannot sign. Pure: checked at oauth2/authorize and PAR, rebuilt for the page and
// at the token endpoint.
import { CredentialRequestError } from './credential_request_error.ts';

export const CREATION_TYPES = ['credential_creation', 'https://cloudsignatureconsortium.org/2025/credential-creation'] as const;
export const DELETION_TYPES = ['credential_deletion', 'https://cloudsignatureconsortium.org/2025/credential-deletion'] as const;
export const MANAGEMENT_TYPES = [...CREATION_TYPES, ...DELETION_TYPES] as const;

export type ManagementAction = 'create' | 'delete';

export type ManagementRequest = {
  action: ManagementAction;
  /** The credential to delete; absent for a creation. */
  credentialID?: string;
  /** The approved authorization_details, normalised, to compare and echo at the token endpoint. */
  authorizationDetails: Record<string, unknown>[];
};

const badRar = (d: string) => new CredentialRequestError('invalid_authorization_details', d);

const OID = /^[0-2](\.(0|[1-9][0-9]{0,9})){1,20}$/;
const CREDENTIAL_ID = /^[^\p{Cc}]{1,255}$/u;

export function isManagementType(type: unknown): boolean {
  return (MANAGEMENT_TYPES as readonly unknown[]).includes(type);
}

/** One detail of a management type, nulls already removed. Throws CredentialRequestError. */
export function parseManagementDetail(d: Record<string, unknown>): ManagementRequest {
  if ((DELETION_TYPES as readonly unknown[]).includes(d.type)) {
    if (typeof d.credentialID !== 'string' || !CREDENTIAL_ID.test(d.credentialID)) throw badRar('credentialID of the credential to delete is required');
    return { action: 'delete', credentialID: d.credentialID, authorizationDetails: [{ type: d.type, credentialID: d.credentialID }] };
  }
  if (d.credentialID !== undefined) throw badRar('credentialID cannot be given for a credential creation: the service names the new credential');
  const ccr = d.credentialCreationRequest;
  if (ccr !== undefined) {
    if (typeof ccr !== 'object' || ccr === null || Array.isArray(ccr)) throw badRar('credentialCreationRequest must be an object');
    const r = ccr as Record<string, unknown>;
    // What the certificate would be issued under, or whom it would name: this service's CA issues under no
    // certificate policy and takes the subject from the account, so a request for either is refused, never
    // silently issued otherwise than asked (fail closed).
    if (r.certificatePolicy !== undefined && r.certificatePolicy !== null) {
      if (typeof r.certificatePolicy !== 'string' || !OID.test(r.certificatePolicy)) throw badRar('credentialCreationRequest.certificatePolicy must be an OID');
      throw badRar(`certificate policy ${r.certificatePolicy} is not offered: the certificates of this service carry no certificate policy`);
    }
    if (r.subjectData !== undefined && r.subjectData !== null) {
      throw badRar('credentialCreationRequest.subjectData is not supported: the certificate subject is taken from the account');
    }
  }
  return { action: 'create', authorizationDetails: [{ type: d.type, ...(ccr !== undefined ? { credentialCreationRequest: {} } : {}) }] };
}
