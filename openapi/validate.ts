// Request and response validation compiled from openapi/csc-v2.yaml, so the document is the single source of
// truth for the wire contract (DESIGN §1, STYLE §1 `validateBody`). The compiling itself is contract.ts, shared
// with the v1 compatibility contract (openapi/validate_v1.ts).
import { compileContract } from './contract.ts';
import { OPENAPI_YAML_PATH } from './document.ts';
import { CSC_OPERATIONS, type CscOperation, type CscRequest } from './types.ts';

export { OPENAPI_YAML_PATH } from './document.ts';
export { CSC_OPERATIONS, type CscOperation } from './types.ts';

const v2 = compileContract({ path: OPENAPI_YAML_PATH, id: 'urn:rssp:csc-v2', operations: CSC_OPERATIONS });

/**
 * Checks a request body against the method's schema. Throws CscError('invalidRequest') whose description is
 * the spec's wording for the first failing field, or CscError('notJson') when the body is not a JSON object.
 * Unknown fields are allowed and ignored. A method whose body is optional (info, auth/login, credentials/list)
 * treats an absent body (`undefined`) as `{}`. An explicit null of an optional parameter counts as absent; the
 * body as checked (without those nulls) is returned.
 */
export function validateRequest(op: CscOperation, body: unknown): unknown {
  return v2.validateRequest(op, body);
}

/** validateRequest, then the body typed as the document declares it (`{}` for an absent optional body). */
export function parseRequest<Op extends CscOperation>(op: Op, body: unknown): CscRequest<Op> {
  return validateRequest(op, body) as CscRequest<Op>;
}

/**
 * Checks a response against what the document declares for this method and status: the success schema, the
 * `Error` schema for refusals, no body for 204. Returns human-readable problems, empty when the response
 * conforms. Used by the end-to-end tests on every response they receive.
 */
export function validateResponse(op: CscOperation, status: number, body: unknown): string[] {
  return v2.validateResponse(op, status, body);
}
