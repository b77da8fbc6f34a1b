// The last step of a method: the JSON result with its status (CSC v2 §11: 200 with a JSON object, or 204).
import type { RsspDeps } from '../deps.ts';
import type { CscContext, Step } from '../step.ts';

export function respond(build: (ctx: CscContext, deps: RsspDeps) => object | Promise<object>): Step {
  return async (ctx, deps) => {
    const body = await build(ctx, deps);
    ctx.status = 200;
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = body;
  };
}

export function respondNoContent(): Step {
  return (ctx) => {
    ctx.body = null;
    ctx.status = 204;
  };
}
