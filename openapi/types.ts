// Named TypeScript views of openapi/csc-v2.yaml. The shapes themselves are generated (csc-v2.d.ts, by
// openapi-typescript); this file only gives them short names so rssp code can say `SignHashRequest` instead
// of indexing `paths`. Regenerate with `npm run openapi:types` after editing the YAML.
import type { components, paths } from './csc-v2.d.ts';

/** The CSC v2 methods this service implements (CSC v2 §11.1 – §11.6, §11.10). */
export type CscOperation =
  | 'info'
  | 'auth/login'
  | 'auth/revoke'
  | 'credentials/list'
  | 'credentials/info'
  | 'credentials/authorize'
  | 'credentials/authorizeCheck'
  | 'credentials/getChallenge'
  | 'credentials/extendTransaction'
  | 'signatures/signHash'
  | 'signatures/signPolling'
  | 'signatures/timestamp'
  /** Extension of this service, not a CSC method: the evidence of signatures (issue #4). */
  | 'ext/signatureEvidence';

export const CSC_OPERATIONS: readonly CscOperation[] = [
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
  'signatures/signPolling',
  'signatures/timestamp',
  'ext/signatureEvidence',
];

type Post<Op extends CscOperation> = paths[`/${Op}`]['post'];
type JsonOf<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON request body of a generated operation; shared with the v1 contract (types_v1.ts). */
export type RequestBodyOf<Operation extends { requestBody?: unknown }> = JsonOf<NonNullable<Operation['requestBody']>>;

/** The JSON body a method accepts (known fields typed; unknown fields pass through as `unknown`). */
export type CscRequest<Op extends CscOperation> = RequestBodyOf<Post<Op>>;

/** The JSON body of a method's success response (auth/revoke answers 204 without a body: `never`). */
export type CscResponse<Op extends CscOperation> = JsonOf<Post<Op>['responses'] extends infer R
  ? R extends { 200: infer Ok } ? Ok : never
  : never>;

type S = components['schemas'];
export type CscErrorBody = S['Error'];
export type InfoRequest = S['InfoRequest'];
export type InfoResponse = S['InfoResponse'];
export type LoginRequest = S['LoginRequest'];
export type LoginResponse = S['LoginResponse'];
export type RevokeRequest = S['RevokeRequest'];
export type CredentialsListRequest = S['CredentialsListRequest'];
export type CredentialsListResponse = S['CredentialsListResponse'];
export type CredentialsInfoRequest = S['CredentialsInfoRequest'];
export type CredentialsInfoResponse = S['CredentialsInfoResponse'];
export type CredentialInfo = S['CredentialInfo'];
export type CredentialDetails = S['CredentialDetails'];
export type KeyInfo = S['KeyInfo'];
export type CertInfo = S['CertInfo'];
export type AuthInfo = S['AuthInfo'];
export type AuthObjectType = S['AuthObjectType'];
export type AuthObject = S['AuthObject'];
export type AuthorizeRequest = S['AuthorizeRequest'];
export type AuthorizeResponse = S['AuthorizeResponse'];
export type AuthorizeCheckRequest = S['AuthorizeCheckRequest'];
export type AuthorizePendingResponse = S['AuthorizePendingResponse'];
export type GetChallengeRequest = S['GetChallengeRequest'];
export type ExtendTransactionRequest = S['ExtendTransactionRequest'];
export type SignHashRequest = S['SignHashRequest'];
export type SignatureEvidenceRequest = S['SignatureEvidenceRequest'];
export type SignatureEvidenceResponse = S['SignatureEvidenceResponse'];
export type SignHashResponse = S['SignHashResponse'];
export type SignPollingRequest = S['SignPollingRequest'];
export type TimestampRequest = S['TimestampRequest'];
export type TimestampResponse = S['TimestampResponse'];
