// CSC v2 §11.2 auth/login: HTTP Basic credentials, or a refresh token from an earlier rememberMe login, in
// exchange for a service access token. rssp reads the wire format; authz (deps.auth) decides.
import { isBasicHeader, missingBasicCredentials, parseBasicCredentials } from '../steps/basic_credentials.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { limitLogin } from '../steps/rate_limit.ts';
import { respond } from '../steps/respond.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import type { Action, CscContext } from '../step.ts';
import type { RsspDeps } from '../deps.ts';

export async function login(ctx: CscContext, deps: RsspDeps) {
  const body = bodyOf(ctx, 'auth/login');
  const header = ctx.get('Authorization');
  // The Basic header is the normal path; without a refresh token, anything else is the §11.2 "does not match the
  // basic HTTP authentication pattern" case. A header and a refresh token together are refused by authz.
  const basic = isBasicHeader(header) ? parseBasicCredentials(header) : undefined;
  if (!basic && body.refresh_token === undefined) throw missingBasicCredentials();
  const result = await deps.auth.login({
    basic,
    refreshToken: body.refresh_token,
    rememberMe: body.rememberMe === true,
    sourceIp: ctx.state.request.sourceIp,
    ctx: ctx.state.request,
  });
  return {
    access_token: result.access_token,
    ...(result.refresh_token !== undefined ? { refresh_token: result.refresh_token } : {}),
    expires_in: result.expires_in,
  };
}

export const authLogin: Action = [
  limitLogin,
  readJsonBody(),
  validateBody('auth/login'),
  respond(login),
];
