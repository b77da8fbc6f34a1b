// CSC v1 §11.3 auth/revoke: as in v2 (RFC 7009 semantics, 204), checked against the v1 document.
import { readJsonBody } from '../../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../../steps/require_bearer.ts';
import { respondNoContent } from '../../steps/respond.ts';
import { required, type Action, type Step } from '../../step.ts';
import { validateV1Body } from '../steps/validate_v1_body.ts';

type RevokeBody = { token: string; token_type_hint?: 'access_token' | 'refresh_token' };

const revoke: Step = async (ctx, deps) => {
  const body = ctx.state.body as RevokeBody;
  await deps.auth.revoke({ caller: required(ctx.state.grant, 'grant'), token: body.token, tokenTypeHint: body.token_type_hint });
};

export const authRevokeV1: Action = [
  requireBearer(),
  requireScope('service', 'credential'),
  readJsonBody(),
  validateV1Body('auth/revoke'),
  revoke,
  respondNoContent(),
];
