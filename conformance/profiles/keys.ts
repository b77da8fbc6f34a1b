// Member names as the specifications spell them, to tell a client's exact-match parser from a misspelling: a member
// that differs from a known one only in case or underscores is reported with the spelling it must have.
import { isObject } from '../encodings.ts';

const fold = (k: string) => k.replace(/_/g, '').toLowerCase();

/** Issues for members of `obj` that are misspellings of `known` (unknown members of other names are allowed). */
export function casingIssues(where: string, obj: unknown, known: readonly string[]): string[] {
  if (!isObject(obj)) return [];
  const issues: string[] = [];
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const meant = known.find((k) => fold(k) === fold(key));
    if (meant) issues.push(`${where}${key} must be spelled "${meant}"`);
  }
  return issues;
}

/** CSC v2 §11.1 info output (v2.2 additions included: a v2.0 client ignores them, a v2.2 client needs them spelled right). */
export const INFO_KEYS = ['specs', 'name', 'logo', 'region', 'lang', 'description', 'authType', 'oauth2', 'oauth2Issuer', 'asynchronousOperationMode',
  'methods', 'validationInfo', 'signAlgorithms', 'signature_formats', 'conformance_levels', 'supportedHashTypes', 'supportsRar', 'oauth2Servers', 'documentTypes'] as const;
export const SIGN_ALGORITHMS_KEYS = ['algos', 'algoParams'] as const;
export const SIGNATURE_FORMATS_KEYS = ['formats', 'envelope_properties', 'allowMix'] as const;

/** CSC v2 §11.4 / §11.5 credential description. */
export const CREDENTIAL_KEYS = ['credentialID', 'description', 'signatureQualifier', 'key', 'cert', 'auth', 'SCAL', 'multisign', 'lang'] as const;
export const KEY_KEYS = ['status', 'algo', 'len', 'curve'] as const;
export const CERT_KEYS = ['status', 'certificates', 'issuerDN', 'serialNumber', 'subjectDN', 'validFrom', 'validTo'] as const;
export const AUTH_KEYS = ['mode', 'expression', 'objects'] as const;

/** Casing issues of a whole credential description, nested objects included. */
export function credentialCasingIssues(where: string, ci: unknown): string[] {
  if (!isObject(ci)) return [];
  return [
    ...casingIssues(where, ci, CREDENTIAL_KEYS),
    ...casingIssues(`${where}key.`, ci.key, KEY_KEYS),
    ...casingIssues(`${where}cert.`, ci.cert, CERT_KEYS),
    ...casingIssues(`${where}auth.`, ci.auth, AUTH_KEYS),
  ];
}

/** Casing issues of an info answer, nested objects included. */
export function infoCasingIssues(info: unknown): string[] {
  if (!isObject(info)) return [];
  return [
    ...casingIssues('', info, INFO_KEYS),
    ...casingIssues('signAlgorithms.', info.signAlgorithms, SIGN_ALGORITHMS_KEYS),
    ...casingIssues('signature_formats.', info.signature_formats, SIGNATURE_FORMATS_KEYS),
  ];
}
