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
};

export function normalizeBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/csc/v2') ? trimmed : `${trimmed}/csc/v2`;
}
