// The OpenAPI document is the single source of truth for the shape of each request (DESIGN §6): types, required
// fields and enums are checked there, with the CSC error wording. Steps after this one check meaning only, and read
// the body with bodyOf: typed as the document declares it for the method, so no step casts it.
import type { CscRequest } from '../../../openapi/types.ts';
import { parseRequest, type CscOperation } from '../../../openapi/validate.ts';
import { parseV22Request } from '../../../openapi/validate_v22.ts';
import type { CscContext, Step } from '../step.ts';

/** Checked against the document of the base the request came in on: /csc/v2.2 sets `apiVersion` (v22/router.ts) and
 *  its shared methods are checked against csc-v2.2.yaml, whose shapes for them are those of csc-v2.yaml. */
export function validateBody<Op extends CscOperation>(op: Op): Step {
  return (ctx) =>
    setBody(ctx, op, ctx.state.apiVersion === '2.2' ? (parseV22Request(op, ctx.state.body) as CscRequest<Op>) : parseRequest(op, ctx.state.body));
}

/** Makes `body` the request's body, typed as the body of `op`. Only what has been checked against the schema of
 *  `op` may be given: validateBody, and the v1 adapter with its typed v1 → v2 conversion (v1/steps/as_v2_body.ts). */
export function setBody<Op extends CscOperation>(ctx: CscContext, op: Op, body: CscRequest<Op>): void {
  const validated: { [K in Op]?: CscRequest<K> } = {};
  validated[op] = body;
  ctx.state.validated = validated;
  // The same object: steps common to several methods (decodeHashes, loadOwnCredential) read their field from it.
  ctx.state.body = body;
}

/** The body of `op`, as validateBody (or setBody) left it; its absence is a bug in the step list. */
export function bodyOf<Op extends CscOperation>(ctx: CscContext, op: Op): CscRequest<Op> {
  const body = ctx.state.validated?.[op];
  if (body === undefined) throw new Error(`step order: the body of ${op} is not validated`);
  return body;
}
