// Named TypeScript views of openapi/csc-v1.yaml (the CSC v1.0.4.0 compatibility contract served at /csc/v1).
// The shapes are generated (csc-v1.d.ts); regenerate with `npm run openapi:types` after editing the YAML.
import type { components, paths } from './csc-v1.d.ts';
import type { RequestBodyOf } from './types.ts';

/** The CSC v1 methods this service serves at /csc/v1 (CSC v1 §11). */
export const CSC_V1_OPERATIONS = [
  'info',
  'auth/login',
  'auth/revoke',
  'credentials/list',
  'credentials/info',
  'credentials/authorize',
  'credentials/sendOTP',
  'credentials/extendTransaction',
  'signatures/signHash',
] as const;

export type CscV1Operation = (typeof CSC_V1_OPERATIONS)[number];

/** The JSON body a v1 method accepts, as csc-v1.yaml declares it (the v1 counterpart of CscRequest). */
export type CscV1Request<Op extends CscV1Operation> = RequestBodyOf<paths[`/${Op}`]['post']>;

type S = components['schemas'];
export type V1InfoResponse = S['InfoResponse'];
export type V1CredentialsListRequest = S['CredentialsListRequest'];
export type V1CredentialsListResponse = S['CredentialsListResponse'];
export type V1CredentialsInfoRequest = S['CredentialsInfoRequest'];
export type V1CredentialsInfoResponse = S['CredentialsInfoResponse'];
export type V1AuthorizeRequest = S['AuthorizeRequest'];
export type V1SignHashRequest = S['SignHashRequest'];
