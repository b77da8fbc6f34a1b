// A CSC method is a list of small steps run in order (STYLE §1). Each step reads what earlier steps left in
// ctx.state, adds its own result, or throws a CscError (or a SamError) that the one error handler serializes.
import type Koa from 'koa';
import type { AccessGrant } from '../../core/ports.ts';
import type { CscOperation, CscRequest } from '../../openapi/types.ts';
import type { CscV1Operation, CscV1Request } from '../../openapi/types_v1.ts';
import type { CredentialState, RequestContext } from '../../core/sam_port.ts';
import type { CredentialRecord } from '../app/credential.ts';
import type { RsspDeps } from './deps.ts';

export type CscState = {
  /** Who asked, for the SAM's audit rows (DESIGN §2). */
  request: RequestContext;
  /** The JSON object of the request; {} for an empty body. Methods read their parameters with bodyOf. */
  body: Record<string, unknown>;
  /** The same object once checked against a method's schema (validateBody), under that method's name: bodyOf. */
  validated?: ValidatedBodies;
  /** /csc/v1: the body as checked against the v1 document (validateV1Body), read with v1BodyOf. */
  validatedV1?: ValidatedV1Bodies;
  /** The verified bearer token (absent for info and auth/login). */
  grant?: AccessGrant;
  /** The credential named by credentialID, already checked to be the caller's. */
  credential?: CredentialRecord;
  /** The id of that credential; signatures/signHash checks the owner only and sets just this. */
  credentialID?: string;
  /** credentials/list: the caller's credentials. */
  credentials?: CredentialRecord[];
  /** The SAM's view (key, status, validity) of the credentials above, by credentialID. */
  states?: Map<string, CredentialState>;
  /** Decoded `hashes` of the request. */
  hashes?: Uint8Array[];
  /** signatures/signHash: decoded signAlgoParams. */
  signAlgoParams?: Uint8Array;
  /** signatures/signHash: the SAD from the body, or the one a credential-scoped token stands for. */
  sad?: string;
  /** operationMode "A" (CSC v2 §11.10): how long the result is kept and where it is sent; unset for "S". */
  async?: AsyncRequest;
};

/** operationMode "A": the result is kept validityMs milliseconds and, when responseUri is set, POSTed there. */
export type AsyncRequest = { validityMs: number; responseUri?: string };

/** A request body by the method whose schema it satisfies; a request has (at most) the one of its own method. */
export type ValidatedBodies = { [Op in CscOperation]?: CscRequest<Op> };
export type ValidatedV1Bodies = { [Op in CscV1Operation]?: CscV1Request<Op> };

export type CscContext = Koa.ParameterizedContext<CscState>;
export type Step = (ctx: CscContext, deps: RsspDeps) => void | Promise<void>;
export type Action = readonly Step[];

/** A value an earlier step must have set; its absence is a bug in the step list, not a client error. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`step order: ${what} is not set`);
  return value;
}
