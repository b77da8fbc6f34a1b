// The OpenAPI document is the single source of truth for the shape of each request (DESIGN §6): types, required
// fields and enums are checked there, with the CSC error wording. Steps after this one check meaning only.
import { validateRequest, type CscOperation } from '../../../openapi/validate.ts';
import type { Step } from '../step.ts';

export function validateBody(op: CscOperation): Step {
  return (ctx) => validateRequest(op, ctx.state.body);
}
