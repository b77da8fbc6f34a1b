// Wire encodings CSC v2 prescribes for values in JSON.

/** Standard base64 (RFC 4648 §4) with padding and no line breaks, as CSC v2 §5.2 requires. */
export function isStandardBase64(s: unknown): boolean {
  return typeof s === 'string' && s.length > 0 && s.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(s);
}

/** Why a string is not standard base64, for a failure message that points at the fix. */
export function base64Problem(s: unknown): string | undefined {
  if (typeof s !== 'string') return `not a string (${typeof s})`;
  if (isStandardBase64(s)) return undefined;
  if (/[\r\n]/.test(s)) return 'contains line breaks (CSC v2 §5.2 forbids them)';
  if (/[-_]/.test(s)) return 'uses the base64url alphabet, not standard base64';
  if (s.length % 4 !== 0) return 'is not padded to a multiple of 4 characters';
  return 'is not base64';
}

/** The serial number as hexadecimal digits (CSC v2 §11.4 cert/serialNumber). */
export const isHex = (s: unknown): s is string => typeof s === 'string' && /^[0-9A-Fa-f]+$/.test(s);

/** GeneralizedTime of RFC 5280 §4.1.2.5.2 as CSC v2 §11.4 writes it: YYYYMMDDHHMMSSZ. */
export const isGeneralizedTime = (s: unknown): s is string =>
  typeof s === 'string' && /^\d{4}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])([01]\d|2[0-3])[0-5]\d[0-5]\dZ$/.test(s);

export function generalizedTimeToDate(s: string): Date {
  return new Date(Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12), +s.slice(12, 14)));
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
