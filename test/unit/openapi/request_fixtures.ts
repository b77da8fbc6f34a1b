// Request bodies shared by the contract tests of openapi/ (validate.test.ts, tolerant_input.test.ts): the smallest
// valid body of each method of CSC v2 and of CSC v1, and the identifiers they use.
import { randomBytes } from 'node:crypto';
import type { CscOperation } from '../../../openapi/validate.ts';
import type { CscV1Operation } from '../../../openapi/validate_v1.ts';

export const SHA256 = '2.16.840.1.101.3.4.2.1';
export const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
export const b64 = (n = 32) => randomBytes(n).toString('base64');

/** The smallest valid body of each CSC v2 method. */
export const V2_MINIMAL: Record<CscOperation, Record<string, unknown>> = {
  info: {},
  'auth/login': {},
  'auth/revoke': { token: 'tok-1' },
  'credentials/list': {},
  'credentials/info': { credentialID: 'cred-1' },
  'credentials/authorize': { credentialID: 'cred-1', numSignatures: 1 },
  'credentials/authorizeCheck': { handle: 'h' },
  'credentials/getChallenge': { credentialID: 'cred-1', authObjectID: 'OTP' },
  'credentials/extendTransaction': { credentialID: 'cred-1', SAD: 'sad' },
  'signatures/signHash': { credentialID: 'cred-1', hashes: [b64()], signAlgo: ECDSA_SHA256 },
  'signatures/signDoc': { credentialID: 'cred-1', documentDigests: [{ hashes: [b64()], signature_format: 'C', signAlgo: ECDSA_SHA256 }] },
  'signatures/signPolling': { requestID: 'r-1' },
  'signatures/timestamp': { hash: b64() },
  'ext/signatureEvidence': { credentialID: 'cred-1' },
};

/** The smallest valid body of each CSC v1 method. */
export const V1_MINIMAL: Record<CscV1Operation, Record<string, unknown>> = {
  info: {},
  'auth/login': {},
  'auth/revoke': { token: 'tok-1' },
  'credentials/list': {},
  'credentials/info': { credentialID: 'cred-1' },
  'credentials/authorize': { credentialID: 'cred-1', numSignatures: 1 },
  'credentials/sendOTP': { credentialID: 'cred-1' },
  'credentials/extendTransaction': { credentialID: 'cred-1', SAD: 'sad' },
  'signatures/signHash': { credentialID: 'cred-1', SAD: 'sad', hash: [b64()], signAlgo: ECDSA_SHA256 },
};
