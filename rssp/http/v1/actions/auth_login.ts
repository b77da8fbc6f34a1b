// CSC v1 §11.2 auth/login: the same exchange as v2 (HTTP Basic, or a refresh token from a rememberMe login), the
// same authz use case; only the body is checked against the v1 document.
import { isBasicHeader, missingBasicCredentials, parseBasicCredentials } from '../../steps/basic_credentials.ts';
import { limitLogin } from '../../steps/rate_limit.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { respond } from '../../steps/respond.ts';
import type { Action, CscContext } from '../../step.ts';
import type { RsspDeps } from '../../deps.ts';
import { validateV1Body } from '../steps/validate_v1_body.ts';

type LoginBody = { refresh_token?: string; rememberMe?: boolean };

async function login(ctx: CscContext, deps: RsspDeps) {
  const body = ctx.state.body as LoginBody;
  const header = ctx.get('Authorization');
  const basic = isBasicHeader(header) ? parseBasicCredentials(header) : undefined;
  if (!basic && body.refresh_token === undefined) throw missingBasicCredentials();
  const result = await deps.auth.login({
    basic,
    refreshToken: body.refresh_token,
    rememberMe: body.rememberMe === true,
    sourceIp: ctx.state.request.sourceIp,
  });
  return {
    access_token: result.access_token,
    ...(result.refresh_token !== undefined ? { refresh_token: result.refresh_token } : {}),
    expires_in: result.expires_in,
  };
}

// Throttled like v2 auth/login (core/policy.ts): the same limiter and counters, whichever version is called.
export const authLoginV1: Action = [limitLogin, readJsonBody(), validateV1Body('auth/login'), respond(login)];
