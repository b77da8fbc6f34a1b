// What a client asks to have signed, read from an authorization request (CSC v2 §8.4.2): either the CSC parameters
// with scope "credential" (credentialID, numSignatures, hashes as comma-separated base64url, hashAlgorithmOID,
// description) or RAR authorization_details (RFC 9396) of type "credential" (CSC v2.0) or
// "https://cloudsignatureconsortium.org/2025/credential" (CSC v2.2). §8.4.2 forbids mixing the two. Pure: the
// same function checks the request at oauth2/authorize and PAR, and rebuilds it for the signature page. A request
// whose one authorization detail is of a CSC v2.2 management type (credential creation or deletion) is handed to
// management_request.ts and comes back as kind "management".
//
// CSC v1.0.4.0 clients (§8.3.2 oauth2/authorize) send the same parameters except one: the digests are called `hash`
// (comma-separated base64url, as v2's `hashes`) and there is no hashAlgorithmOID, so the algorithm follows from
// the digest length as on /csc/v1 credentials/authorize. Every other v1 parameter (lang, credentialID,
// numSignatures, description, account_token, clientData, PKCE) has the v2 name.
import { decodeBase64, decodeFormBase64 } from '../../core/base64.ts';
import { HASHES } from '../../core/algorithms.ts';
import { DOTTED_OID } from '../../core/oid.ts';
import { CredentialRequestError } from './credential_request_error.ts';
import {
  approvedCertificatePolicy,
  CREATION_TYPES,
  DELETION_TYPES,
  isManagementType,
  MANAGEMENT_TYPES,
  parseManagementDetail,
  type ManagementRequest,
} from './management_request.ts';

export { CredentialRequestError };

export const RAR_TYPES = ['credential', 'https://cloudsignatureconsortium.org/2025/credential'] as const;

/** Every authorization_details type the server takes: signing (above) and, CSC v2.2, credential creation and
 *  deletion (management_request.ts). Published as authorization_details_types_supported (RFC 9396 §10). */
export const ALL_RAR_TYPES = [...RAR_TYPES, ...MANAGEMENT_TYPES] as const;

/** CSC v1 §8.3.2's name for the digests (v2: `hashes`). */
const V1_HASH_PARAM = 'hash';

/** The CSC parameters that carry a credential authorization (§8.4.2 input parameters defined in this spec). */
const CSC_CREDENTIAL_PARAMS = ['credentialID', 'numSignatures', 'hashes', 'hashAlgorithmOID', 'description', V1_HASH_PARAM] as const;

/** The name under which `authorization_details` reaches oidc-provider: with its own RAR feature off it would still
 *  treat the standard name as RAR (and ask for resource indicators), so the mount renames it (oauth/index.ts). */
export const RAR_PARAM = 'csc_authorization_details';

/** Set by the mount (never by a client: it strips it) when it gives a RAR-only request the scope "credential",
 *  which oidc-provider needs in order to issue a code at all. */
export const RAR_SCOPE_MARK = 'csc_rar_scope';

/** Every extra parameter the authorization endpoint accepts beyond OAuth's own. */
export const EXTRA_PARAMS = [...CSC_CREDENTIAL_PARAMS, RAR_PARAM, RAR_SCOPE_MARK, 'lang', 'clientData', 'account_token'] as const;

export type DocumentDigest = { hash: Uint8Array; label?: string; /** CSC v2.2, as the client spelled it. */ hashType?: string };

export type CredentialRequest = {
  style: 'csc' | 'rar';
  credentialID: string;
  numSignatures: number;
  documents: DocumentDigest[];
  hashAlgorithmOID?: string;
  description?: string;
  /** The approved authorization_details, normalised (standard base64 hashes), to echo at the token endpoint. */
  authorizationDetails?: Record<string, unknown>[];
};

export type ParsedScope =
  | { kind: 'service' }
  | { kind: 'credential'; request: CredentialRequest }
  /** CSC v2.2 RAR credential_creation / credential_deletion: one credentials/create or credentials/delete call. */
  | { kind: 'management'; request: ManagementRequest };

type Params = Record<string, unknown>;

const bad = (d: string) => new CredentialRequestError('invalid_request', d);
const badRar = (d: string) => new CredentialRequestError('invalid_authorization_details', d);

/** Hashes in either alphabet (DESIGN §8: base64url on oauth2/authorize, base64 inside RAR JSON), decoded by the same
 *  strict decoder as the CSC API (core/base64.ts), so that the OAuth side accepts no form signHash would refuse. */
function decodeHash(s: string): Uint8Array | null {
  if (typeof s !== 'string' || s.length > 200) return null;
  return decodeBase64(s);
}

const HASH_TYPE = /^(dtbsr|sdr|sodr)$/i;
const CREDENTIAL_ID = /^[^\p{Cc}]{1,255}$/u;
const MAX_SIGNATURES = 1000;

function present(p: Params, name: string): boolean {
  return p[name] !== undefined && p[name] !== null && p[name] !== '';
}

function scopes(p: Params): Set<string> {
  return new Set(typeof p.scope === 'string' ? p.scope.split(' ').filter(Boolean) : []);
}

/** What the checks depend on beyond the request. */
export type ScopeOptions = {
  /** The certificate policies a credential creation may ask for (CA_CERTIFICATE_POLICIES). Default none. */
  certificatePolicies?: readonly string[];
};

/** Decides the request's kind and checks it fully. Throws CredentialRequestError. */
export function parseScope(p: Params, options: ScopeOptions = {}): ParsedScope {
  const s = scopes(p);
  const rar = present(p, RAR_PARAM);
  const cscParams = CSC_CREDENTIAL_PARAMS.filter((n) => present(p, n));
  if (s.has('service') && (s.has('credential') || rar)) {
    throw new CredentialRequestError('invalid_scope', 'scope service cannot be combined with a credential authorization');
  }
  if (rar) {
    if ((s.has('credential') && p[RAR_SCOPE_MARK] !== '1') || cscParams.length) {
      // §8.4.2 authorization_details: neither scope credential nor its parameters alongside.
      throw bad('authorization_details cannot be combined with scope credential or the parameters ' + (cscParams.join(', ') || 'of scope credential'));
    }
    const detail = parseDetail(p[RAR_PARAM]);
    if (isManagementType(detail.type)) return { kind: 'management', request: parseManagementDetail(detail, options.certificatePolicies) };
    return { kind: 'credential', request: parseCredentialDetail(detail) };
  }
  if (s.has('credential')) return { kind: 'credential', request: parseCscParams(p) };
  if (cscParams.length) throw bad(`${cscParams.join(', ')} may only be used with scope credential`);
  return { kind: 'service' };
}

function parseNumSignatures(v: unknown, where: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[1-9][0-9]{0,5}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_SIGNATURES) throw bad(`${where} must be an integer from 1 to ${MAX_SIGNATURES}`);
  return n;
}

function parseCscParams(p: Params): CredentialRequest {
  if (!present(p, 'credentialID')) throw bad('credentialID is required with scope credential');
  const credentialID = String(p.credentialID);
  if (!CREDENTIAL_ID.test(credentialID)) throw bad('Invalid parameter credentialID');
  if (!present(p, 'numSignatures')) throw bad('numSignatures is required with scope credential');
  const numSignatures = parseNumSignatures(p.numSignatures, 'numSignatures');
  const v1 = present(p, V1_HASH_PARAM);
  // One request speaks one version: both names at once would leave it open which digests were meant.
  if (v1 && present(p, 'hashes')) throw bad('hash (CSC v1) and hashes (CSC v2) cannot be combined');
  const name = v1 ? V1_HASH_PARAM : 'hashes';
  const documents: DocumentDigest[] = [];
  if (present(p, name)) {
    for (const part of String(p[name]).split(',')) {
      // From a query or form: a raw '+' of standard base64 arrives as a space (core/base64.ts decodeFormBase64).
      const hash = part.length > 200 ? null : decodeFormBase64(part);
      if (!hash) throw bad(`Invalid parameter ${name}: comma-separated base64url hash values expected`);
      documents.push({ hash });
    }
    if (documents.length !== numSignatures) throw bad(`numSignatures (${numSignatures}) must equal the number of hashes (${documents.length})`);
    if (!v1 && !present(p, 'hashAlgorithmOID')) throw bad('hashAlgorithmOID is required with hashes');
  }
  let hashAlgorithmOID = present(p, 'hashAlgorithmOID') ? String(p.hashAlgorithmOID) : undefined;
  if (hashAlgorithmOID !== undefined && !DOTTED_OID.test(hashAlgorithmOID)) throw bad('Invalid parameter hashAlgorithmOID');
  if (v1 && hashAlgorithmOID === undefined) hashAlgorithmOID = hashAlgorithmOfLength(documents);
  const description = present(p, 'description') ? String(p.description) : undefined;
  // §8.4.2 description: at most 500 characters.
  if (description !== undefined && description.length > 500) throw bad('description is longer than 500 characters');
  return { style: 'csc', credentialID, numSignatures, documents, hashAlgorithmOID, description };
}

/** v1 digests carry no algorithm: SHA-256, -384 and -512 are told apart by length; other or mixed lengths are refused. */
function hashAlgorithmOfLength(documents: DocumentDigest[]): string {
  const length = documents[0]!.hash.length;
  const oid = Object.keys(HASHES).find((o) => HASHES[o]!.length === length);
  if (!oid || documents.some((d) => d.hash.length !== length)) {
    throw bad('Invalid parameter hash: SHA-256, SHA-384 or SHA-512 digests of one length expected');
  }
  return oid;
}

/** The one authorization detail of a request, checked for shape and with its nulls removed. */
function parseDetail(raw: unknown): Record<string, unknown> {
  let details: unknown;
  try {
    details = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    throw badRar('authorization_details is not valid JSON');
  }
  // RFC 9396 §2: a JSON array of objects, each with a type.
  if (!Array.isArray(details) || details.length === 0) throw badRar('authorization_details must be a non-empty JSON array');
  if (details.length !== 1) throw badRar('exactly one authorization detail is supported per request');
  if (typeof details[0] !== 'object' || details[0] === null || Array.isArray(details[0])) throw badRar('each authorization detail must be an object');
  // CSC v2.2 clients built on nullable models send null for what they leave unset: null means absent (issue #12 item 3).
  const d = withoutNulls(details[0] as Record<string, unknown>);
  if (!(ALL_RAR_TYPES as readonly unknown[]).includes(d.type)) throw badRar(`unsupported authorization details type; supported: ${ALL_RAR_TYPES.join(', ')}`);
  return d;
}

/** A detail of type credential (CSC v2.0) or its CSC v2.2 URI. */
function parseCredentialDetail(d: Record<string, unknown>): CredentialRequest {
  if (d.signatureQualifier !== undefined && d.credentialID === undefined) {
    throw badRar('signatureQualifier is not supported; give credentialID');
  }
  if (typeof d.credentialID !== 'string' || !CREDENTIAL_ID.test(d.credentialID)) throw badRar('credentialID is required');
  const digests = d.documentDigests;
  const documents: DocumentDigest[] = [];
  if (digests !== undefined) {
    if (!Array.isArray(digests) || digests.length === 0 || digests.length > MAX_SIGNATURES) {
      throw badRar('documentDigests must be a non-empty array');
    }
    for (const dd of digests as unknown[]) {
      if (typeof dd !== 'object' || dd === null || Array.isArray(dd)) throw badRar('each documentDigests entry must be an object');
      const o = withoutNulls(dd as Record<string, unknown>);
      const hash = typeof o.hash === 'string' ? decodeHash(o.hash) : null;
      if (!hash) throw badRar('documentDigests[].hash must be a base64 hash value');
      if (o.label !== undefined && (typeof o.label !== 'string' || o.label.length > 500)) throw badRar('documentDigests[].label must be a string');
      // CSC v2.2 hashType (what the digest was computed over): any case, echoed as the client spelled it.
      if (o.hashType !== undefined && (typeof o.hashType !== 'string' || !HASH_TYPE.test(o.hashType))) {
        throw badRar('documentDigests[].hashType must be dtbsr, sdr or sodr');
      }
      documents.push({ hash, ...(typeof o.label === 'string' ? { label: o.label } : {}), ...(typeof o.hashType === 'string' ? { hashType: o.hashType } : {}) });
    }
    if (typeof d.hashAlgorithmOID !== 'string' || !DOTTED_OID.test(d.hashAlgorithmOID)) throw badRar('hashAlgorithmOID is required with documentDigests');
  }
  // CSC v2.2 adds numSignatures; v2.0 implies one signature per document digest.
  const numSignatures = d.numSignatures !== undefined ? parseNumSignatures(d.numSignatures, 'numSignatures') : documents.length;
  if (numSignatures < 1) throw badRar('documentDigests or numSignatures is required');
  if (documents.length && documents.length !== numSignatures) throw badRar('numSignatures must equal the number of documentDigests');
  const hashAlgorithmOID = typeof d.hashAlgorithmOID === 'string' ? d.hashAlgorithmOID : undefined;
  if (hashAlgorithmOID !== undefined && !DOTTED_OID.test(hashAlgorithmOID)) throw badRar('Invalid hashAlgorithmOID');
  const normalised: Record<string, unknown> = {
    type: d.type,
    credentialID: d.credentialID,
    ...(documents.length
      ? {
          documentDigests: documents.map((doc) => ({
            hash: Buffer.from(doc.hash).toString('base64'),
            ...(doc.label !== undefined ? { label: doc.label } : {}),
            ...(doc.hashType !== undefined ? { hashType: doc.hashType } : {}),
          })),
        }
      : {}),
    ...(hashAlgorithmOID ? { hashAlgorithmOID } : {}),
    ...(d.numSignatures !== undefined ? { numSignatures } : {}),
  };
  return { style: 'rar', credentialID: d.credentialID, numSignatures, documents, hashAlgorithmOID, authorizationDetails: [normalised] };
}

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
}

/** Whether the authorization_details a client sends to oauth2/token are the ones approved (CSC v2 §8.4.4: "as
 *  approved during the authorization process"). Compared after normalisation, so base64 vs base64url or key order
 *  do not matter, but any change of credential, hash, label, algorithm or count does. */
export function sameAuthorizationDetails(sent: unknown, approved: Record<string, unknown>[]): boolean {
  let a: Record<string, unknown>;
  try {
    const detail = parseDetail(sent);
    // The one policy that can match is the approved one: offering it (and only it) lets the comparison decide.
    const policy = approvedCertificatePolicy(approved);
    a = (isManagementType(detail.type) ? parseManagementDetail(detail, policy ? [policy] : []).authorizationDetails : parseCredentialDetail(detail).authorizationDetails!)[0]!;
  } catch {
    return false;
  }
  const b = approved[0]!;
  // Keys sorted at every level: the approved details come back from a jsonb column, which keeps its own key order
  // (shorter keys first), so `numSignatures` would otherwise sit elsewhere than in the request's normalised form.
  // A type's short name and its CSC v2.2 URI are the same type; a signing type is never a management type.
  const canon = (o: Record<string, unknown>) =>
    JSON.stringify(
      sortKeys(
        isManagementType(o.type)
          ? { ...o, type: shortType(o.type) }
          : { ...o, type: 'credential', numSignatures: o.numSignatures ?? (o.documentDigests as unknown[] | undefined)?.length },
      ),
    );
  return approved.length === 1 && canon(a) === canon(b);
}

function shortType(type: unknown): string {
  if ((CREATION_TYPES as readonly unknown[]).includes(type)) return CREATION_TYPES[0];
  if ((DELETION_TYPES as readonly unknown[]).includes(type)) return DELETION_TYPES[0];
  return String(type);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
}
