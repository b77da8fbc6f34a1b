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
import { DOTTED_OID } from '../../core/oid.ts';
import { CredentialRequestError } from './credential_request_error.ts';

export const CREATION_TYPES = ['credential_creation', 'https://cloudsignatureconsortium.org/2025/credential-creation'] as const;
export const DELETION_TYPES = ['credential_deletion', 'https://cloudsignatureconsortium.org/2025/credential-deletion'] as const;
export const MANAGEMENT_TYPES = [...CREATION_TYPES, ...DELETION_TYPES] as const;

export type ManagementAction = 'create' | 'delete';

export type ManagementRequest = {
  action: ManagementAction;
  /** The credential to delete; absent for a creation. */
  credentialID?: string;
  /** A creation's certificate policy (an OID of CA_CERTIFICATE_POLICIES); absent: none asked for. */
  certificatePolicy?: string;
  /** The approved authorization_details, normalised, to compare and echo at the token endpoint. */
  authorizationDetails: Record<string, unknown>[];
};

const badRar = (d: string) => new CredentialRequestError('invalid_authorization_details', d);

const CREDENTIAL_ID = /^[^\p{Cc}]{1,255}$/u;

export function isManagementType(type: unknown): boolean {
  return (MANAGEMENT_TYPES as readonly unknown[]).includes(type);
}

/** One detail of a management type, nulls already removed. `certificatePolicies`: the OIDs the CA issues under
 *  (CA_CERTIFICATE_POLICIES); a creation may name one of them and no other. Throws CredentialRequestError. */
export function parseManagementDetail(d: Record<string, unknown>, certificatePolicies: readonly string[] = []): ManagementRequest {
  if ((DELETION_TYPES as readonly unknown[]).includes(d.type)) {
    if (typeof d.credentialID !== 'string' || !CREDENTIAL_ID.test(d.credentialID)) throw badRar('credentialID of the credential to delete is required');
    return { action: 'delete', credentialID: d.credentialID, authorizationDetails: [{ type: d.type, credentialID: d.credentialID }] };
  }
  if (d.credentialID !== undefined) throw badRar('credentialID cannot be given for a credential creation: the service names the new credential');
  const ccr = d.credentialCreationRequest;
  let policy: string | undefined;
  if (ccr !== undefined) {
    if (typeof ccr !== 'object' || ccr === null || Array.isArray(ccr)) throw badRar('credentialCreationRequest must be an object');
    const r = ccr as Record<string, unknown>;
    // What the certificate would be issued under, or whom it would name. A policy is granted only when the CA
    // issues under it (the operator's CA_CERTIFICATE_POLICIES); the subject always comes from the account. Anything
    // else is refused, never silently issued otherwise than asked (fail closed).
    if (r.certificatePolicy !== undefined && r.certificatePolicy !== null) {
      if (typeof r.certificatePolicy !== 'string' || !DOTTED_OID.test(r.certificatePolicy)) throw badRar('credentialCreationRequest.certificatePolicy must be an OID');
      if (!certificatePolicies.includes(r.certificatePolicy)) {
        // The same refusal whether or not policies are configured; its reason says which the CA does follow.
        const offered = certificatePolicies.length
          ? `the certificates of this service are issued under ${certificatePolicies.join(', ')} only`
          : 'the certificates of this service carry no certificate policy';
        throw badRar(`certificate policy ${r.certificatePolicy} is not offered: ${offered}`);
      }
      policy = r.certificatePolicy;
    }
    if (r.subjectData !== undefined && r.subjectData !== null) {
      throw badRar('credentialCreationRequest.subjectData is not supported: the certificate subject is taken from the account');
    }
  }
  // The approved detail keeps the policy, so that the token endpoint echoes it and the grant carries it to the
  // certificate (token_verifier.ts, AccessGrant.certificatePolicy).
  const approved = { type: d.type, ...(ccr !== undefined ? { credentialCreationRequest: policy !== undefined ? { certificatePolicy: policy } : {} } : {}) };
  return { action: 'create', ...(policy !== undefined ? { certificatePolicy: policy } : {}), authorizationDetails: [approved] };
}

/** The certificate policy of an approved creation detail (as parseManagementDetail wrote it), if any. */
export function approvedCertificatePolicy(details: readonly Record<string, unknown>[]): string | undefined {
  const ccr = details[0]?.credentialCreationRequest as Record<string, unknown> | undefined;
  return typeof ccr?.certificatePolicy === 'string' ? ccr.certificatePolicy : undefined;
}
