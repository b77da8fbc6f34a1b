// CSC v2.2 under /csc/v2.2/, beside v2.0.0.2 under /csc/v2/ (which answers exactly as before). The selection rule is
// the base path alone: a client that wants v2.2 is configured with the base URI …/csc/v2.2 and reads specs
// "2.2.0.0" from its info; …/csc/v2 keeps answering "2.0.0.2". Nothing in a request (header, field) switches versions.
//
// Every method v2.2 did not change runs the v2.0 action (CSC_V2_ROUTES), its body checked against csc-v2.2.yaml
// (validate_body.ts reads ctx.state.apiVersion); info, credentials/create and credentials/delete are v2.2's own.
import { readFileSync } from 'node:fs';
import type Koa from 'koa';
import { CscError } from '../../../core/errors.ts';
import { OPENAPI_V22_YAML_PATH } from '../../../openapi/validate_v22.ts';
import type { RsspDeps } from '../deps.ts';
import { errorHandler } from '../error_handler.ts';
import { assignRequestContext } from '../request_context.ts';
import { CSC_V2_EXTENSIONS, CSC_V2_ROUTES } from '../router.ts';
import type { Action, CscContext } from '../step.ts';
import { credentialsCreate } from './actions/credentials_create.ts';
import { credentialsDelete } from './actions/credentials_delete.ts';
import { infoV22 } from './actions/info.ts';
import { type V22Method, V22_UNIMPLEMENTED_METHODS } from './methods.ts';

export const CSC_V22_PREFIX = '/csc/v2.2/';

export const CSC_V22_ROUTES: Readonly<Record<V22Method, Action>> = {
  ...CSC_V2_ROUTES,
  'info': infoV22,
  'credentials/create': credentialsCreate,
  'credentials/delete': credentialsDelete,
};

const DOCUMENTS: Record<string, { file: string | URL; type: string }> = {
  'openapi.yaml': { file: OPENAPI_V22_YAML_PATH, type: 'application/yaml; charset=utf-8' },
  'logo.png': { file: new URL('../logo.png', import.meta.url), type: 'image/png' },
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
  const name = ctx.path.slice(CSC_V22_PREFIX.length);
  if (Object.hasOwn(DOCUMENTS, name)) return serveDocument(ctx, name, cache);
  const action = Object.hasOwn(CSC_V22_ROUTES, name)
    ? CSC_V22_ROUTES[name as V22Method]
    : Object.hasOwn(CSC_V2_EXTENSIONS, name) ? CSC_V2_EXTENSIONS[name] : undefined;
  if (!action) throw new CscError(V22_UNIMPLEMENTED_METHODS.has(name) ? 'notImplemented' : 'methodNotFound');
  if (ctx.method !== 'POST') throw new CscError('methodNotAllowed', { headers: { Allow: 'POST' } });
  ctx.set('Cache-Control', 'no-store');
  for (const step of action) await step(ctx, deps);
}

export function cscV22Routes(deps: RsspDeps): Koa.Middleware {
  const handleErrors = errorHandler(deps.log);
  const cache = new Map<string, Buffer>();
  return async (ctx, next) => {
    if (!ctx.path.startsWith(CSC_V22_PREFIX)) return next();
    const cscCtx = ctx as unknown as CscContext;
    assignRequestContext(cscCtx);
    cscCtx.state.apiVersion = '2.2';
    await handleErrors(cscCtx, () => dispatch(cscCtx, deps, cache));
  };
}
