// The CSC v1.0.4.0 methods served at /csc/v1 (CSC v1 §11). The route table has exactly these keys and v1 `info`
// publishes exactly this list, so the two can never disagree.
import type { CscV1Operation } from '../../../openapi/validate_v1.ts';

export const V1_METHODS = [
  'info',
  'auth/login',
  'auth/revoke',
  'credentials/list',
  'credentials/info',
  'credentials/authorize',
  'credentials/sendOTP',
  'credentials/extendTransaction',
  'signatures/signHash',
] as const satisfies readonly CscV1Operation[];

export type V1Method = (typeof V1_METHODS)[number];

/** v1 methods this service does not offer: 501 (same error model as v2), unlike a name that is no method (404). */
export const V1_UNIMPLEMENTED: ReadonlySet<string> = new Set(['signatures/timestamp']);
