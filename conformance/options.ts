// What the kit needs to know about the service under test and the signer it acts for.

export type ConformanceOptions = {
  /** Base URI of the service. CSC v2 §7.2 says it ends with /csc/v2; when it does not, /csc/v2 is appended. */
  baseUrl: string;
  /** Service authorization with auth/login and HTTP Basic (CSC v2 §11.2). */
  username?: string;
  password?: string;
  /** A service access token obtained elsewhere (e.g. OAuth 2.0), used as the Bearer token. */
  token?: string;
  /** The credential to exercise; the first of credentials/list when absent. */
  credentialID?: string;
  /** Activation factors for credentials/authorize (CSC v2 §8.3.1): a PIN, and an OTP or the TOTP secret to compute one. */
  pin?: string;
  otp?: string;
  totpSecret?: string;
  /** Per-request timeout. Default 15000 ms. */
  timeoutMs?: number;
  /** A client compatibility profile (profiles/index.ts): the requirements of one client instead of the default checks. */
  profile?: ProfileName;
  /** The API base path under the service, e.g. /csc/v2.2; the profile's default when absent (/csc/v2 without a profile). */
  basePath?: string;
};

export const PROFILE_NAMES = ['eudi-rqes', 'documenso-v1', 'pyhanko-v1', 'strict'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** The API base each profile's client speaks: the EUDI library CSC v2.2, pyHanko CSC v1.0.4.0, the others v2.0. */
export const DEFAULT_BASE_PATH: Record<ProfileName, string> = {
  'eudi-rqes': '/csc/v2.2',
  'documenso-v1': '/csc/v2',
  'pyhanko-v1': '/csc/v1',
  strict: '/csc/v2',
};

/** The base URI the kit speaks to for these options. */
export function baseUrlOf(o: ConformanceOptions): string {
  if (o.basePath !== undefined) return resolveBaseUrl(o.baseUrl, o.basePath, true);
  if (o.profile !== undefined) return resolveBaseUrl(o.baseUrl, DEFAULT_BASE_PATH[o.profile], false);
  return normalizeBaseUrl(o.baseUrl);
}

/**
 * The base URI of the API under test. A base path given explicitly replaces any CSC base the URL ends in
 * (/csc/v1, /csc/v2, /csc/v2.2 …); a profile's default base path is appended only when the URL names none.
 */
export function resolveBaseUrl(url: string, basePath: string, explicit: boolean): string {
  const trimmed = url.replace(/\/+$/, '');
  const cscBase = /\/csc\/v[0-9]+(\.[0-9]+)*$/;
  if (!explicit && cscBase.test(trimmed)) return trimmed;
  return `${trimmed.replace(cscBase, '')}/${basePath.replace(/^\/+|\/+$/g, '')}`;
}

export function normalizeBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/csc/v2') ? trimmed : `${trimmed}/csc/v2`;
}
