// What the SAM asks of a time-stamping authority (RFC 3161): its own, whose key lives in the HSM (local_tsa.ts), or
// an external one reached over HTTP (remote_tsa.ts, TSA_URL). Either way the caller gets a TimeStampToken that has
// already been checked against what was asked (core/timestamp_token.ts).
import type { TimestampInfo } from '../../core/timestamp_token.ts';

export type TimestampRequest = {
  /** OID of the hash algorithm of `digest` (MessageImprint.hashAlgorithm, RFC 3161 §2.4.1). */
  hashAlgorithmOID: string;
  digest: Uint8Array;
  nonce?: bigint;
};

export interface Tsa {
  readonly kind: 'local' | 'external';
  /** A DER TimeStampToken over `digest`, checked (imprint, nonce, signature) before it is returned. */
  timestamp(req: TimestampRequest): Promise<{ token: Uint8Array; info: TimestampInfo }>;
  /** Certificates a verifier may trust for this TSA's tokens: the SAM's own TSA certificate; none for an external
   *  TSA (its certificate travels in each token). */
  certificates(): Uint8Array[];
}

/** Default TSA policy (TSTInfo.policy, RFC 3161 §2.4.2): an OID under the UUID arc 2.25 (ITU-T X.667), which anyone
 *  may allocate without registering, generated once for this software. A site that publishes a time-stamp policy
 *  (ETSI EN 319 421) sets its own with TSA_POLICY_OID. */
export const DEFAULT_TSA_POLICY_OID = '2.25.111022678125248045774956851475445111234';
