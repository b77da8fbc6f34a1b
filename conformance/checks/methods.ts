// The API methods of CSC v2.0.0.2 (§11, Table 4) that live under the service base URI. oauth2/* are endpoints of
// the authorization server and may live elsewhere (§7.2), so the kit does not probe them here.

export const CSC_V2_METHODS = [
  'info',
  'auth/login',
  'auth/revoke',
  'credentials/list',
  'credentials/info',
  'credentials/authorize',
  'credentials/authorizeCheck',
  'credentials/getChallenge',
  'credentials/extendTransaction',
  'credentials/sendOTP',
  'signatures/signHash',
  'signatures/signDoc',
  'signatures/signPolling',
  'signatures/timestamp',
] as const;

export const OAUTH2_METHODS = ['oauth2/authorize', 'oauth2/pushed_authorize', 'oauth2/token', 'oauth2/revoke'];

/** Methods that act for a signer, hence need a service access token (CSC v2 §8.1). */
export const TOKEN_METHODS = [
  'auth/revoke',
  'credentials/list',
  'credentials/info',
  'credentials/authorize',
  'credentials/authorizeCheck',
  'credentials/getChallenge',
  'credentials/extendTransaction',
  'credentials/sendOTP',
  'signatures/signHash',
  'signatures/signDoc',
  'signatures/signPolling',
  // §11.13's error table opens with "Malformed authorization header": a service token is expected.
  'signatures/timestamp',
];
