// Named TypeScript views of openapi/csc-v2.2.yaml (CSC v2.2, served at /csc/v2.2). The shapes are generated
// (csc-v2.2.d.ts); regenerate with `npm run openapi:types` after editing the YAML.
import type { components, paths } from './csc-v2.2.d.ts';
import { CSC_OPERATIONS, type CscOperation, type RequestBodyOf } from './types.ts';

/** The methods v2.2 adds to those it shares with v2.0 (ETSI TS 119 432 V1.3.1 §11.4, §11.5). */
export const CSC_V22_NEW_OPERATIONS = ['credentials/create', 'credentials/delete'] as const;

/** Every method of the v2.2 document: the v2.0 ones (same shapes but `info`) and the new ones. */
export const CSC_V22_OPERATIONS = [...CSC_OPERATIONS, ...CSC_V22_NEW_OPERATIONS] as const;

export type CscV22Operation = CscOperation | (typeof CSC_V22_NEW_OPERATIONS)[number];

/** The JSON body a v2.2 method accepts, as csc-v2.2.yaml declares it. */
export type CscV22Request<Op extends CscV22Operation> = RequestBodyOf<paths[`/${Op}`]['post']>;

type S = components['schemas'];
export type V22InfoResponse = S['InfoResponse'];
export type V22CredentialsCreateRequest = S['CredentialsCreateRequest'];
export type V22CredentialsCreateResponse = S['CredentialsCreateResponse'];
export type V22CredentialsDeleteRequest = S['CredentialsDeleteRequest'];
