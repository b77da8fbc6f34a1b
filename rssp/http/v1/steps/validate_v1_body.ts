// Every /csc/v1 request body is checked against openapi/csc-v1.yaml before anything reads it (DESIGN §6), and is
// then read with v1BodyOf, typed as that document declares it.
import type { CscV1Request } from '../../../../openapi/types_v1.ts';
import { parseV1Request, type CscV1Operation } from '../../../../openapi/validate_v1.ts';
import type { CscContext, Step } from '../../step.ts';

export function validateV1Body<Op extends CscV1Operation>(op: Op): Step {
  return (ctx) => {
    const validated: { [K in Op]?: CscV1Request<K> } = {};
    validated[op] = parseV1Request(op, ctx.state.body);
    ctx.state.validatedV1 = validated;
  };
}

/** The v1 body of `op`, as validateV1Body left it; its absence is a bug in the step list. */
export function v1BodyOf<Op extends CscV1Operation>(ctx: CscContext, op: Op): CscV1Request<Op> {
  const body = ctx.state.validatedV1?.[op];
  if (body === undefined) throw new Error(`step order: the v1 body of ${op} is not validated`);
  return body;
}
