// The CSC API v2 under /csc/v2/ (CSC v2 §7.2): one route per implemented method, each a list of small steps
// (rssp/http/actions/), behind one request-context step and one error handler. Also serves the OpenAPI document
// that describes it and the logo that `info` points to.
import { readFileSync } from 'node:fs';
import type Koa from 'koa';
import { CscError } from '../../core/errors.ts';
import { OPENAPI_YAML_PATH } from '../../openapi/validate.ts';
import { authLogin } from './actions/auth_login.ts';
import { authRevoke } from './actions/auth_revoke.ts';
import { credentialsAuthorize } from './actions/credentials_authorize.ts';
import { credentialsAuthorizeCheck } from './actions/credentials_authorize_check.ts';
import { credentialsExtendTransaction } from './actions/credentials_extend_transaction.ts';
import { credentialsGetChallenge } from './actions/credentials_get_challenge.ts';
import { credentialsInfo } from './actions/credentials_info.ts';
import { credentialsList } from './actions/credentials_list.ts';
import { info } from './actions/info.ts';
import { extSignatureEvidence } from './actions/ext_signature_evidence.ts';
import { signaturesSignHash } from './actions/signatures_sign_hash.ts';
import { signaturesSignPolling } from './actions/signatures_sign_polling.ts';
import { signaturesTimestamp } from './actions/signatures_timestamp.ts';
import type { RsspDeps } from './deps.ts';
import { errorHandler } from './error_handler.ts';
import { type ImplementedMethod, UNIMPLEMENTED_METHODS } from './methods.ts';
import { assignRequestContext } from './request_context.ts';
import type { Action, CscContext } from './step.ts';

export type { RsspDeps } from './deps.ts';

export const CSC_V2_PREFIX = '/csc/v2/';

const ROUTES: Record<ImplementedMethod, Action> = {
  'info': info,
  'auth/login': authLogin,
  'auth/revoke': authRevoke,
  'credentials/list': credentialsList,
  'credentials/info': credentialsInfo,
  'credentials/authorize': credentialsAuthorize,
  'credentials/authorizeCheck': credentialsAuthorizeCheck,
  'credentials/getChallenge': credentialsGetChallenge,
  'credentials/extendTransaction': credentialsExtendTransaction,
  'signatures/signHash': signaturesSignHash,
  'signatures/signPolling': signaturesSignPolling,
  'signatures/timestamp': signaturesTimestamp,
};

/** Methods of this service beyond the CSC list (documented in the OpenAPI document, not announced by `info`). */
const EXTENSIONS: Record<string, Action> = {
  'ext/signatureEvidence': extSignatureEvidence,
};

/** Static documents next to the methods, read once. */
const DOCUMENTS: Record<string, { file: string | URL; type: string }> = {
  'openapi.yaml': { file: OPENAPI_YAML_PATH, type: 'application/yaml; charset=utf-8' },
  'logo.png': { file: new URL('./logo.png', import.meta.url), type: 'image/png' },
};

function serveDocument(ctx: CscContext, name: string, cache: Map<string, Buffer>): void {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
    throw new CscError('methodNotAllowed', { description: 'Documents are fetched with GET', headers: { Allow: 'GET, HEAD' } });
  }
  const doc = DOCUMENTS[name]!;
  let content = cache.get(name);
  if (!content) cache.set(name, (content = readFileSync(doc.file)));
  ctx.status = 200;
  ctx.type = doc.type;
  ctx.set('Cache-Control', 'public, max-age=3600');
  ctx.body = content;
}

async function dispatch(ctx: CscContext, deps: RsspDeps, cache: Map<string, Buffer>): Promise<void> {
  const name = ctx.path.slice(CSC_V2_PREFIX.length);
  if (Object.hasOwn(DOCUMENTS, name)) return serveDocument(ctx, name, cache);
  const action = Object.hasOwn(ROUTES, name) ? ROUTES[name as ImplementedMethod] : Object.hasOwn(EXTENSIONS, name) ? EXTENSIONS[name] : undefined;
  if (!action) {
    // CSC v2 §10: 501 for a method of the specification that this service does not implement.
    throw new CscError(UNIMPLEMENTED_METHODS.has(name) ? 'notImplemented' : 'methodNotFound');
  }
  // CSC v2 §7.1: every API method is called with POST.
  if (ctx.method !== 'POST') throw new CscError('methodNotAllowed', { headers: { Allow: 'POST' } });
  // Tokens, SADs and credential details must not be kept by caches on the way (RFC 9111 §5.2.2.5).
  ctx.set('Cache-Control', 'no-store');
  for (const step of action) await step(ctx, deps);
}

export function cscV2Routes(deps: RsspDeps): Koa.Middleware {
  const handleErrors = errorHandler(deps.log);
  const cache = new Map<string, Buffer>();
  return async (ctx, next) => {
    if (!ctx.path.startsWith(CSC_V2_PREFIX)) return next();
    const cscCtx = ctx as unknown as CscContext;
    assignRequestContext(cscCtx);
    await handleErrors(cscCtx, () => dispatch(cscCtx, deps, cache));
  };
}
