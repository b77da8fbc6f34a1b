// Request and response validation compiled from openapi/csc-v2.2.yaml, by the same code as v2.0 and v1
// (contract.ts), so the v2.2 document is the single source of truth for the /csc/v2.2 wire contract.
import { fileURLToPath } from 'node:url';
import { compileContract } from './contract.ts';
import { CSC_V22_OPERATIONS, type CscV22Operation, type CscV22Request } from './types_v22.ts';

export { CSC_V22_OPERATIONS, type CscV22Operation } from './types_v22.ts';

/** Absolute path of the v2.2 document, served at /csc/v2.2/openapi.yaml. */
export const OPENAPI_V22_YAML_PATH: string = fileURLToPath(new URL('./csc-v2.2.yaml', import.meta.url));

const v22 = compileContract({ path: OPENAPI_V22_YAML_PATH, id: 'urn:rssp:csc-v2.2', operations: CSC_V22_OPERATIONS });

/** As validateRequest of validate.ts, against the v2.2 document: returns the body checked (explicit nulls of
 *  optional parameters removed, `{}` for an absent optional body). */
export function validateV22Request(op: CscV22Operation, body: unknown): unknown {
  return v22.validateRequest(op, body);
}

/** As parseRequest of validate.ts, against the v2.2 document. */
export function parseV22Request<Op extends CscV22Operation>(op: Op, body: unknown): CscV22Request<Op> {
  return validateV22Request(op, body) as CscV22Request<Op>;
}

/** As validateResponse of validate.ts, against the v2.2 document. */
export function validateV22Response(op: CscV22Operation, status: number, body: unknown): string[] {
  return v22.validateResponse(op, status, body);
}
