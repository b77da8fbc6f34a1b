// Request and response validation compiled from openapi/csc-v1.yaml, by the same code as v2 (contract.ts), so
// the v1 document is the single source of truth for the /csc/v1 wire contract.
import { fileURLToPath } from 'node:url';
import { compileContract } from './contract.ts';
import { CSC_V1_OPERATIONS, type CscV1Operation, type CscV1Request } from './types_v1.ts';

export { CSC_V1_OPERATIONS, type CscV1Operation } from './types_v1.ts';

/** Absolute path of the v1 document, served at /csc/v1/openapi.yaml. */
export const OPENAPI_V1_YAML_PATH: string = fileURLToPath(new URL('./csc-v1.yaml', import.meta.url));

const v1 = compileContract({ path: OPENAPI_V1_YAML_PATH, id: 'urn:rssp:csc-v1', operations: CSC_V1_OPERATIONS });

/** As validateRequest of validate.ts, against the v1 document. */
function validateV1Request(op: CscV1Operation, body: unknown): unknown {
  return v1.validateRequest(op, body);
}

/** As parseRequest of validate.ts, against the v1 document. */
export function parseV1Request<Op extends CscV1Operation>(op: Op, body: unknown): CscV1Request<Op> {
  return validateV1Request(op, body) as CscV1Request<Op>;
}

/** As validateResponse of validate.ts, against the v1 document. */
export function validateV1Response(op: CscV1Operation, status: number, body: unknown): string[] {
  return v1.validateResponse(op, status, body);
}
