// CSC v2 §11.3 auth/revoke: revoke an access or refresh token of the caller (RFC 7009 semantics); 204.
import { readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { respondNoContent } from '../steps/respond.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import { required, type Action, type Step } from '../step.ts';

export const revoke: Step = async (ctx, deps) => {
  const body = bodyOf(ctx, 'auth/revoke');
  const session = await deps.auth.revoke({ caller: required(ctx.state.grant, 'grant'), token: body.token, tokenTypeHint: body.token_type_hint, ctx: ctx.state.request });
  // The SADs this session obtained end with it (issue #14 finding 7): a SAD taken from it can no longer sign.
  await deps.sam.revokeSads({ ctx: ctx.state.request, ...session });
};

export const authRevoke: Action = [
  requireBearer(),
  requireScope('service', 'credential'),
  readJsonBody(),
  validateBody('auth/revoke'),
  revoke,
  respondNoContent(),
];
