// The admin API (admin/README.md): user, OTP and credential management for the operator, under /admin/* on the
// service's Koa server. Every request needs the admin bearer token; every action, refused or done, is logged
// without its secrets. Errors are written as { error, error_description } from the core/errors.ts catalogue.
import { requestContextOf } from '../core/request_context.ts';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type Koa from 'koa';
import { isDatabaseUnavailable } from '../core/db.ts';
import { CscError } from '../core/errors.ts';
import { SAM_ERROR_TABLE } from '../core/sam_errors.ts';
import { SamError, type RequestContext } from '../core/sam_port.ts';
import * as audit from './audit_handlers.ts';
import * as ch from './client_handlers.ts';
import * as h from './handlers.ts';
import * as seal from './seal_handlers.ts';
import { showOutbox } from './outbox_handlers.ts';
import { readJsonBody } from './params.ts';

type Route = { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: RegExp; action: string; handler: h.Handler };

const SEG = '([^/]+)';
const route = (method: Route['method'], path: string, action: string, handler: h.Handler): Route => ({
  method,
  path: new RegExp(`^/admin${path.replaceAll(':p', SEG)}$`),
  action,
  handler,
});

const ADMIN_ROUTES: Route[] = [
  route('POST', '/users', 'user.create', h.createUser),
  route('POST', '/users/:p/otp', 'otp.enroll', h.enrollOtp),
  route('POST', '/users/:p/credentials', 'credential.create', h.createCredential),
  route('POST', '/users/:p/activation', 'activation.issue', h.issueActivation),
  route('GET', '/users/:p/credentials', 'credential.list', h.listCredentials),
  route('POST', '/credentials/:p/disable', 'credential.disable', h.disableCredential),
  route('POST', '/credentials/:p/enable', 'credential.enable', h.enableCredential),
  route('POST', '/credentials/:p/unlock', 'credential.unlock', h.unlockCredential),
  route('POST', '/credentials/:p/csr', 'credential.csr', h.credentialCsr),
  route('PUT', '/credentials/:p/certificates', 'credential.import-cert', h.importCertificates),
  route('GET', '/ca/certificate', 'ca.certificate', h.caCertificate),
  route('POST', '/clients', 'client.create', ch.createClient),
  route('GET', '/clients', 'client.list', ch.listClients),
  route('DELETE', '/clients/:p', 'client.delete', ch.deleteClient),
  route('POST', '/clients/:p/seals', 'seal.create', seal.createSeal),
  route('GET', '/clients/:p/seals', 'seal.list', seal.listSeals),
  route('POST', '/clients/:p/otp', 'seal.otp', seal.enrollSealOtp),
  route('POST', '/clients/:p/activation', 'seal.activation', seal.issueSealActivation),
  route('POST', '/oauth/keys/rotate', 'oauth.rotate-keys', ch.rotateOAuthKeys),
  route('POST', '/audit/export', 'audit.export', audit.exportAudit),
  route('POST', '/audit/verify', 'audit.verify', audit.verifyAudit),
  route('POST', '/outbox', 'outbox.show', showOutbox),
];



const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant time whatever the lengths: both sides are hashed to 32 bytes before the comparison. */
function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer ([^\s]+)$/.exec(header ?? '');
  return timingSafeEqual(digest(m?.[1] ?? ''), expected) && m !== null;
}

function toError(err: unknown): { error: CscError; unexpected: boolean } {
  if (err instanceof CscError) return { error: err, unexpected: err.status >= 500 };
  if (err instanceof SamError || (err instanceof Error && err.name === 'SamError')) {
    // The admin column of the one table (core/sam_errors.ts): what an operator can cause or act on is named.
    const name = SAM_ERROR_TABLE[(err as SamError).code]?.admin;
    if (name && name !== 'serverError') return { error: new CscError(name, { cause: err }), unexpected: false };
  }
  if (isDatabaseUnavailable(err)) return { error: new CscError('storeUnavailable', { cause: err }), unexpected: true };
  return { error: new CscError('serverError', { cause: err }), unexpected: true };
}

function describe(err: unknown) {
  if (!(err instanceof Error)) return { type: typeof err };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, code, stack: err.stack };
}

/**
 * Every admin action, done or refused (a wrong token included), is a row of the audit trail (issue #4 item 5).
 * A done action whose row cannot be written still answers: it has happened, and the failure is logged loudly.
 */
async function recordAction(
  deps: h.AdminDeps,
  ctx: RequestContext,
  action: string,
  result: 'ok' | 'refused' | 'error',
  errorCode: string | undefined,
  detail: Record<string, unknown>,
): Promise<void> {
  const credentialID = typeof detail.credentialID === 'string' ? detail.credentialID : undefined;
  const userId = typeof detail.userId === 'string' ? detail.userId : typeof detail.ownerId === 'string' ? detail.ownerId : undefined;
  await deps.audit
    .record({ event: 'admin', result, errorCode, ctx, userId, credentialID, detail: { action, ...detail } })
    .catch((err) => deps.log.error({ event: 'admin', action, err: describe(err) }, 'audit row of an admin action not written'));
}

/** `users` and `credentials` are the parts' own services (authz/users.ts UserStore, rssp CredentialService);
 *  only the methods used here are required. */
export function adminRoutes(deps: h.AdminDeps): Koa.Middleware {
  if (deps.adminToken.length < 16) throw new Error('the admin token must be at least 16 characters');
  const expected = digest(deps.adminToken);
  const log = deps.log.child({ part: 'admin' });

  return async (ctx, next) => {
    if (ctx.path !== '/admin' && !ctx.path.startsWith('/admin/')) return next();

    const req: RequestContext = requestContextOf(ctx);
    const requestId = req.requestId;
    ctx.set('X-Request-Id', requestId);
    ctx.set('Cache-Control', 'no-store'); // responses carry OTP secrets and CSRs
    let action = 'unknown';

    try {
      // Authentication comes before routing, so that the route table is not probed without the token.
      if (!tokenMatches(ctx.get('Authorization') || undefined, expected)) {
        throw new CscError('adminUnauthorized', { headers: { 'WWW-Authenticate': 'Bearer realm="admin"' } });
      }
      const matches = ADMIN_ROUTES.map((r) => ({ r, m: r.path.exec(ctx.path) })).filter((x) => x.m);
      if (matches.length === 0) throw new CscError('adminRouteNotFound');
      const hit = matches.find((x) => x.r.method === ctx.method);
      if (!hit) {
        const allow = matches.map((x) => x.r.method).join(', ');
        throw new CscError('methodNotAllowed', { description: `Method not allowed on this admin route; use ${allow}`, headers: { Allow: allow } });
      }
      action = hit.r.action;
      let params: string[];
      try {
        params = hit.m!.slice(1).map((p) => decodeURIComponent(p!));
      } catch {
        throw new CscError('invalidRequest', { description: 'Invalid percent-encoding in the path' });
      }
      const body = ctx.method === 'GET' ? {} : await readJsonBody(ctx);
      const result = await hit.r.handler({ ...deps, log }, { params, body, ctx: req });
      await recordAction(deps, req, action, 'ok', undefined, result.audit);
      ctx.status = result.status;
      // An async iterable body is JSON Lines streamed as it is read (the audit export); everything else is one JSON
      // document. A stream that fails half-way can only be cut short: the status is sent; the export's reader sees
      // the missing lines (the verifier reports the records it did not get as deleted).
      if (isAsyncIterable(result.body)) {
        ctx.type = 'application/x-ndjson; charset=utf-8';
        const stream = Readable.from(result.body);
        stream.on('error', (err) => log.error({ event: 'admin', action, requestId, err: describe(err) }, `admin ${action}: stream cut short`));
        ctx.body = stream;
      } else {
        ctx.type = 'application/json; charset=utf-8';
        ctx.body = JSON.stringify(result.body);
      }
      log.info({ event: 'admin', action, outcome: 'done', requestId, sourceIp: req.sourceIp, ...result.audit }, `admin ${action}`);
    } catch (err) {
      const { error, unexpected } = toError(err);
      const entry = { event: 'admin', action, outcome: 'refused', error: error.code, requestId, sourceIp: req.sourceIp };
      if (unexpected) log.error({ ...entry, err: describe(err) }, `admin ${action} failed`);
      else log.warn(entry, `admin ${action} refused`);
      await recordAction(deps, req, action, unexpected ? 'error' : 'refused', error.code, {});
      ctx.status = error.status;
      for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
      ctx.type = 'application/json; charset=utf-8';
      ctx.body = JSON.stringify(error.toJSON());
    }
  };
}

function isAsyncIterable(v: unknown): v is AsyncIterable<string> {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v;
}
