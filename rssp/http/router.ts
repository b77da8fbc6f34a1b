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
import { signaturesSignDoc } from './actions/signatures_sign_doc.ts';
import { signaturesSignHash } from './actions/signatures_sign_hash.ts';
import { signaturesSignPolling } from './actions/signatures_sign_polling.ts';
import { signaturesTimestamp } from './actions/signatures_timestamp.ts';
import type { RsspDeps } from './deps.ts';
import { errorHandler } from './error_handler.ts';
import { type ImplementedMethod, UNIMPLEMENTED_METHODS } from './methods.ts';
import { assignRequestContext } from './request_context.ts';
import type { Action, CscContext } from './step.ts';

export type { RsspDeps } from './deps.ts';

const CSC_V2_PREFIX = '/csc/v2/';

/** The v2.0 actions by method; /csc/v2.2 reuses them for every method v2.2 did not change (v22/router.ts). */
export const CSC_V2_ROUTES: Readonly<Record<ImplementedMethod, Action>> = {
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
  'signatures/signDoc': signaturesSignDoc,
  'signatures/signPolling': signaturesSignPolling,
  'signatures/timestamp': signaturesTimestamp,
};

/** Methods of this service beyond the CSC list (documented in the OpenAPI document, not announced by `info`). */
export const CSC_V2_EXTENSIONS: Readonly<Record<string, Action>> = {
  'ext/signatureEvidence': extSignatureEvidence,
};

/** A static document served next to the methods (GET), read once. */
export type ServedDocument = { file: string | URL; type: string };

/** One base URI of the CSC API: its prefix, its methods (extensions included), the methods of its specification it
 *  does not offer (501, CSC v2 §10), its documents, and the API version its bodies are validated against. */
export type CscBase = {
  prefix: string;
  routes: Readonly<Record<string, Action>>;
  unimplemented: ReadonlySet<string>;
  documents: Readonly<Record<string, ServedDocument>>;
  apiVersion?: CscContext['state']['apiVersion'];
};

export const LOGO: ServedDocument = { file: new URL('./logo.png', import.meta.url), type: 'image/png' };

function serveDocument(ctx: CscContext, doc: ServedDocument, cache: Map<string | URL, Buffer>): void {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
    throw new CscError('methodNotAllowed', { description: 'Documents are fetched with GET', headers: { Allow: 'GET, HEAD' } });
  }
  let content = cache.get(doc.file);
  if (!content) cache.set(doc.file, (content = readFileSync(doc.file)));
  ctx.status = 200;
  ctx.type = doc.type;
  ctx.set('Cache-Control', 'public, max-age=3600');
  ctx.body = content;
}

async function dispatch(base: CscBase, ctx: CscContext, deps: RsspDeps, cache: Map<string | URL, Buffer>): Promise<void> {
  const name = ctx.path.slice(base.prefix.length);
  if (Object.hasOwn(base.documents, name)) return serveDocument(ctx, base.documents[name]!, cache);
  const action = Object.hasOwn(base.routes, name) ? base.routes[name] : undefined;
  if (!action) {
    // CSC v2 §10: 501 for a method of the specification that this service does not implement.
    throw new CscError(base.unimplemented.has(name) ? 'notImplemented' : 'methodNotFound');
  }
  // CSC v2 §7.1: every API method is called with POST.
  if (ctx.method !== 'POST') throw new CscError('methodNotAllowed', { headers: { Allow: 'POST' } });
  // Tokens, SADs and credential details must not be kept by caches on the way (RFC 9111 §5.2.2.5).
  ctx.set('Cache-Control', 'no-store');
  for (const step of action) await step(ctx, deps);
}

/** The middleware of one base URI: request context, one error handler, then the method or document named. */
export function cscBaseRoutes(base: CscBase, deps: RsspDeps): Koa.Middleware {
  const handleErrors = errorHandler(deps.log);
  const cache = new Map<string | URL, Buffer>();
  return async (ctx, next) => {
    if (!ctx.path.startsWith(base.prefix)) return next();
    const cscCtx = ctx as unknown as CscContext;
    assignRequestContext(cscCtx);
    if (base.apiVersion) cscCtx.state.apiVersion = base.apiVersion;
    await handleErrors(cscCtx, () => dispatch(base, cscCtx, deps, cache));
  };
}

const CSC_V2: CscBase = {
  prefix: CSC_V2_PREFIX,
  routes: { ...CSC_V2_ROUTES, ...CSC_V2_EXTENSIONS },
  unimplemented: UNIMPLEMENTED_METHODS,
  documents: { 'openapi.yaml': { file: OPENAPI_YAML_PATH, type: 'application/yaml; charset=utf-8' }, 'logo.png': LOGO },
};

export function cscV2Routes(deps: RsspDeps): Koa.Middleware {
  return cscBaseRoutes(CSC_V2, deps);
}
