// The CSC v1.0.4.0 compatibility API under /csc/v1/: a second route table in front of the same use cases and the
// same SAM as /csc/v2 (no second signing path). Each v1 method validates its body against openapi/csc-v1.yaml,
// then runs the v2 steps; refusals use the v2 error model, re-worded with v1 parameter names where they differ.
import { readFileSync } from 'node:fs';
import type Koa from 'koa';
import { CscError } from '../../../core/errors.ts';
import { OPENAPI_V1_YAML_PATH } from '../../../openapi/validate_v1.ts';
import type { RsspDeps } from '../deps.ts';
import { toCscError, writeError } from '../error_handler.ts';
import { assignRequestContext } from '../request_context.ts';
import type { Action, CscContext } from '../step.ts';
import { authLoginV1 } from './actions/auth_login.ts';
import { authRevokeV1 } from './actions/auth_revoke.ts';
import { credentialsAuthorizeV1 } from './actions/credentials_authorize.ts';
import { credentialsExtendTransactionV1 } from './actions/credentials_extend_transaction.ts';
import { credentialsInfoV1 } from './actions/credentials_info.ts';
import { credentialsListV1 } from './actions/credentials_list.ts';
import { credentialsSendOtpV1 } from './actions/credentials_send_otp.ts';
import { infoV1 } from './actions/info.ts';
import { signaturesSignHashV1 } from './actions/signatures_sign_hash.ts';
import { toV1Error } from './errors.ts';
import { type V1Method, V1_UNIMPLEMENTED } from './methods.ts';

const CSC_V1_PREFIX = '/csc/v1/';

const ROUTES: Record<V1Method, Action> = {
  'info': infoV1,
  'auth/login': authLoginV1,
  'auth/revoke': authRevokeV1,
  'credentials/list': credentialsListV1,
  'credentials/info': credentialsInfoV1,
  'credentials/authorize': credentialsAuthorizeV1,
  'credentials/sendOTP': credentialsSendOtpV1,
  'credentials/extendTransaction': credentialsExtendTransactionV1,
  'signatures/signHash': signaturesSignHashV1,
};

async function dispatch(ctx: CscContext, deps: RsspDeps, yaml: () => Buffer): Promise<void> {
  const name = ctx.path.startsWith(CSC_V1_PREFIX) ? ctx.path.slice(CSC_V1_PREFIX.length) : '';
  if (name === 'openapi.yaml') {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      throw new CscError('methodNotAllowed', { description: 'Documents are fetched with GET', headers: { Allow: 'GET, HEAD' } });
    }
    ctx.status = 200;
    ctx.type = 'application/yaml; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = yaml();
    return;
  }
  const action = Object.hasOwn(ROUTES, name) ? ROUTES[name as V1Method] : undefined;
  if (!action) throw new CscError(V1_UNIMPLEMENTED.has(name) ? 'notImplemented' : 'methodNotFound');
  // Every API method is called with POST (CSC v1 §7.1, as in v2).
  if (ctx.method !== 'POST') throw new CscError('methodNotAllowed', { headers: { Allow: 'POST' } });
  // Tokens, SADs and credential details must not be kept by caches on the way (RFC 9111 §5.2.2.5).
  ctx.set('Cache-Control', 'no-store');
  for (const step of action) await step(ctx, deps);
}

export function cscV1Routes(deps: RsspDeps): Koa.Middleware {
  let yaml: Buffer | undefined;
  const readYaml = () => (yaml ??= readFileSync(OPENAPI_V1_YAML_PATH));
  return async (ctx, next) => {
    // The bare base URI too, so that every answer under /csc/v1 is JSON in the CSC error model.
    if (!ctx.path.startsWith(CSC_V1_PREFIX) && ctx.path !== CSC_V1_PREFIX.slice(0, -1)) return next();
    const cscCtx = ctx as unknown as CscContext;
    assignRequestContext(cscCtx);
    try {
      await dispatch(cscCtx, deps, readYaml);
    } catch (err) {
      writeError(cscCtx, toV1Error(toCscError(err, cscCtx, deps.log)));
    }
  };
}
