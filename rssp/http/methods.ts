// The CSC v2 methods this service implements (CSC v2 §11, Table 4). The route table must have exactly these keys
// and `info` publishes exactly this list, so the two can never disagree.
import type { CscOperation } from '../../openapi/validate.ts';

export const IMPLEMENTED_METHODS = [
  'info',
  'auth/login',
  'auth/revoke',
  'credentials/list',
  'credentials/info',
  'credentials/authorize',
  'credentials/authorizeCheck',
  'credentials/getChallenge',
  'credentials/extendTransaction',
  'signatures/signHash',
] as const satisfies readonly CscOperation[];

export type ImplementedMethod = (typeof IMPLEMENTED_METHODS)[number];

/** Methods of CSC v2 that this service does not offer: 501 Not Implemented (CSC v2 §10), unlike a name that is
 *  no CSC method at all (404). */
export const UNIMPLEMENTED_METHODS: ReadonlySet<string> = new Set([
  'credentials/sendOTP',
  'signatures/signDoc',
  'signatures/signPolling',
  'signatures/timestamp',
]);
