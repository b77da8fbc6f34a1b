// Every /csc/v1 request body is checked against openapi/csc-v1.yaml before anything reads it (DESIGN §6).
import { validateV1Request, type CscV1Operation } from '../../../../openapi/validate_v1.ts';
import type { Step } from '../../step.ts';

export function validateV1Body(op: CscV1Operation): Step {
  return (ctx) => validateV1Request(op, ctx.state.body);
}
