// The interaction pages of the authorization server (CSC v2 §8.4.2): sign-in, then for scope "credential" the
// signature authorization where the person types PIN and one-time password. The factors go to the SAM untouched
// (DESIGN §2.1: authz never checks them), which counts failures towards the same lockout as credentials/authorize.
//
//   GET  /oauth2/interaction/:uid          the page the current prompt needs
//   POST /oauth2/interaction/:uid/login    Username + Password
//   POST /oauth2/interaction/:uid/confirm  PIN + One-time password, or Cancel (access_denied to the client)
//
// CSRF: every form carries an HMAC of the interaction id under a server key; the interaction itself is bound to
// the browser by oidc-provider's signed, SameSite cookie, so a forged POST from another site has neither.
//
// A CSC v2.2 credential creation or deletion (RAR types credential_creation / credential_deletion) gets a page of its
// own after the sign-in: what the client asks (and which credential, for a deletion, if it is the person's), and a
// deliberate confirmation; its grant allows one call (authz/oauth/management_grants.ts).
//
// Sign-ins on these pages go to the audit trail like auth/login's (issue #4 item 5): success, wrong password (with
// the user only when the account exists), throttled, each with request id, source IP and user agent. The record
// is awaited before the page answers, so a sign-in is never granted unrecorded (fail closed, as auth/login).
import { requestContextOf } from '../../core/request_context.ts';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { AuditTrail, SecurityEntry } from '../../core/audit_port.ts';
import type { AuthzConfig } from '../../core/config.ts';
import type { Logger } from '../../core/log.ts';
import { SAM_ERROR_TABLE } from '../../core/sam_errors.ts';
import { type RequestContext, SamError, type SignatureActivation } from '../../core/sam_port.ts';
import type { LoginAttempt, LoginLimiter } from '../login_limiter.ts';
import { ipKey, userKey } from '../login_limiter.ts';
import type { UserStore } from '../users.ts';
import type { CredentialGrantStore } from '../oauth/credential_grants.ts';
import type { ManagementGrantStore } from '../oauth/management_grants.ts';
import { parseScope, type CredentialRequest } from '../oauth/credential_request.ts';
import type { CredentialCatalog } from '../oauth/ports.ts';
import { INTERACTION_PREFIX } from '../oauth/provider.ts';
import { setPageHeaders } from './page_http.ts';
import { errorText, type ErrorKey, loginPage, managementPage, pickLang, signaturePage } from './render.ts';

export type InteractionDeps = {
  provider: Provider;
  config: AuthzConfig;
  log: Logger;
  users: UserStore;
  limiter: LoginLimiter;
  sam: SignatureActivation;
  credentials: CredentialCatalog;
  grants: CredentialGrantStore;
  /** CSC v2.2 credential creation and deletion grants. */
  management: ManagementGrantStore;
  csrfKey: string;
  /** Where sign-ins are recorded; absent only in tests that do not look at the trail. */
  audit: Pick<AuditTrail, 'record'>;
};

const requestContext = (ctx: Koa.Context): RequestContext => requestContextOf(ctx);

const MAX_FORM = 8 * 1024;

async function readForm(ctx: Koa.Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) ctx.throw(415, 'form expected');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM) ctx.throw(413, 'form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}



export function interactionRoutes(deps: InteractionDeps): Koa.Middleware {
  const { provider, log } = deps;
  const audit = async (entry: SecurityEntry) => {
    await deps.audit.record(entry);
  };
  const csrfFor = (uid: string) => createHmac('sha256', deps.csrfKey).update(`interaction:${uid}`).digest('base64url');
  const csrfOk = (uid: string, sent: string | null) => {
    const expected = Buffer.from(csrfFor(uid));
    const got = Buffer.from(sent ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  };

  const langOf = (ctx: Koa.Context, details: { params: Record<string, unknown> }) => pickLang(details.params.lang, ctx.get('accept-language'));

  async function finish(ctx: Koa.Context, result: Record<string, unknown>, merge = true) {
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  }

  async function clientName(clientId: string): Promise<string> {
    const client = await provider.Client.find(clientId);
    return String(client?.clientName ?? clientId);
  }

  const scopeOptions = { certificatePolicies: deps.config.authz.certificatePolicies };

  async function credentialContext(details: Awaited<ReturnType<Provider['interactionDetails']>>) {
    const parsed = parseScope(details.params as Record<string, unknown>, scopeOptions);
    if (parsed.kind !== 'credential') return null;
    const request: CredentialRequest = parsed.request;
    const userId = String(details.session?.accountId ?? '');
    const summary = await deps.credentials.summary(request.credentialID);
    return { request, userId, summary: summary && summary.ownerId === userId ? summary : null };
  }

  async function managementContext(details: Awaited<ReturnType<Provider['interactionDetails']>>) {
    const parsed = parseScope(details.params as Record<string, unknown>, scopeOptions);
    if (parsed.kind !== 'management') return null;
    const userId = String(details.session?.accountId ?? '');
    const summary = parsed.request.credentialID ? await deps.credentials.summary(parsed.request.credentialID) : null;
    return { request: parsed.request, userId, summary: summary && summary.ownerId === userId ? summary : null };
  }

  /** A deletion names a credential of the person signed in, or ends like a signature request for another's (the
   *  same answer for an unknown id, so that nobody probes which ids exist). */
  async function renderManagement(ctx: Koa.Context, uid: string, details: Awaited<ReturnType<Provider['interactionDetails']>>) {
    const m = await managementContext(details);
    if (!m) return false;
    if (m.request.action === 'delete' && !m.summary) {
      await finish(ctx, { error: 'invalid_request', error_description: 'Invalid parameter credentialID' }, false);
      return true;
    }
    setPageHeaders(ctx, { formsRedirectOut: true });
    ctx.body = managementPage({
      lang: langOf(ctx, details),
      action: `${INTERACTION_PREFIX}${uid}/confirm`,
      csrf: csrfFor(uid),
      clientName: await clientName(String(details.params.client_id)),
      kind: m.request.action,
      ...(m.summary ? { credential: { subjectDN: m.summary.subjectDN, issuerDN: m.summary.issuerDN, algorithm: m.summary.algorithm } } : {}),
    });
    return true;
  }

  async function confirmManagement(ctx: Koa.Context, details: Awaited<ReturnType<Provider['interactionDetails']>>, m: NonNullable<Awaited<ReturnType<typeof managementContext>>>) {
    if (m.request.action === 'delete' && !m.summary) {
      await finish(ctx, { error: 'invalid_request', error_description: 'Invalid parameter credentialID' }, false);
      return;
    }
    const clientId = String(details.params.client_id);
    const grant = new provider.Grant({ accountId: m.userId, clientId });
    grant.addOIDCScope('credential');
    const grantId = await grant.save();
    await deps.management.save({
      grantId,
      userId: m.userId,
      clientId,
      action: m.request.action,
      ...(m.request.credentialID ? { credentialID: m.request.credentialID } : {}),
      authorizationDetails: m.request.authorizationDetails,
      // The code (60 s) and then the token it is exchanged for: the row is of no use after both.
      expiresAt: new Date(Date.now() + (60 + deps.config.authz.credentialTokenLifetimeSeconds) * 1000),
    });
    log.info({ event: `oauth.credential.${m.request.action}.authorized`, credentialID: m.request.credentialID, clientId }, 'credential management authorized');
    await finish(ctx, { consent: { grantId } });
  }

  async function renderSignature(ctx: Koa.Context, uid: string, details: Awaited<ReturnType<Provider['interactionDetails']>>, error?: string) {
    const c = await credentialContext(details);
    if (!c) return false;
    if (!c.summary) {
      await finish(ctx, { error: 'invalid_request', error_description: 'Invalid parameter credentialID' }, false);
      return true;
    }
    if (c.request.numSignatures > c.summary.multisign) {
      await finish(ctx, { error: 'invalid_request', error_description: 'numSignatures is higher than the multisign of the credential' }, false);
      return true;
    }
    setPageHeaders(ctx, { formsRedirectOut: true });
    if (error) ctx.status = 400;
    ctx.body = signaturePage({
      lang: langOf(ctx, details),
      action: `${INTERACTION_PREFIX}${uid}/confirm`,
      csrf: csrfFor(uid),
      clientName: await clientName(String(details.params.client_id)),
      subjectDN: c.summary.subjectDN,
      issuerDN: c.summary.issuerDN,
      algorithm: c.summary.algorithm,
      numSignatures: c.request.numSignatures,
      documents: c.request.documents,
      description: c.request.description,
      error,
    });
    return true;
  }

  /** Scope service needs nothing more than the sign-in: the grant is recorded without a page. */
  async function grantService(ctx: Koa.Context, details: Awaited<ReturnType<Provider['interactionDetails']>>) {
    const grant = new provider.Grant({ accountId: String(details.session!.accountId), clientId: String(details.params.client_id) });
    grant.addOIDCScope('service');
    const grantId = await grant.save();
    await finish(ctx, { consent: { grantId } });
  }

  async function show(ctx: Koa.Context, uid: string) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
    if (details.prompt.name === 'login') {
      setPageHeaders(ctx, { formsRedirectOut: true });
      ctx.body = loginPage({
        lang: langOf(ctx, details),
        action: `${INTERACTION_PREFIX}${uid}/login`,
        csrf: csrfFor(uid),
        clientName: await clientName(String(details.params.client_id)),
      });
      return;
    }
    if (await renderSignature(ctx, uid, details)) return;
    if (await renderManagement(ctx, uid, details)) return;
    await grantService(ctx, details);
  }

  async function login(ctx: Koa.Context, uid: string) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const form = await readForm(ctx);
    if (details.uid !== uid || details.prompt.name !== 'login' || !csrfOk(uid, form.get('csrf'))) ctx.throw(403, 'invalid form');
    const username = form.get('username') ?? '';
    const password = form.get('password') ?? '';
    const clientId = String(details.params.client_id);
    const name = await clientName(clientId);
    const rc = requestContext(ctx);
    const detail = { method: 'password', via: 'oauth' };
    const render = (error: string) => {
      setPageHeaders(ctx, { formsRedirectOut: true });
      ctx.status = 400;
      return loginPage({ lang: langOf(ctx, details), action: `${INTERACTION_PREFIX}${uid}/login`, csrf: csrfFor(uid), clientName: name, username, error });
    };
    // Counted apart from auth/login's windows (same limits), so that the two endpoints do not lock each other out.
    let attempt: LoginAttempt;
    try {
      attempt = await deps.limiter.attempt({ user: `oauth-${userKey(username)}`, ip: `oauth-${ipKey(ctx.ip)}` });
    } catch (err) {
      const throttled = (err as { code?: string }).code === 'rateLimited';
      await audit({ event: 'signin', result: throttled ? 'refused' : 'error', errorCode: throttled ? 'rateLimited' : 'throttle_unavailable', ctx: rc, clientId, detail });
      if (!throttled) throw err;
      ctx.body = render(errorText(langOf(ctx, details), 'tooManyLogins'));
      ctx.status = 429;
      return;
    }
    const user = password.length <= 1024 ? await deps.users.authenticate(username, password) : null;
    if (!user) {
      // The user id only when the account exists; the typed username stays out (it may be a mistyped password).
      const known = await deps.users.byUsername(username).catch(() => null);
      await audit({ event: 'signin', result: 'refused', errorCode: 'invalidCredentials', ctx: rc, userId: known?.id, clientId, detail });
      log.info({ event: 'oauth.login.failed' }, 'sign-in refused');
      ctx.body = render(errorText(langOf(ctx, details), 'wrongPassword'));
      return;
    }
    await attempt.succeeded();
    await audit({ event: 'signin', result: 'ok', ctx: rc, userId: user.id, clientId, detail });
    await finish(ctx, { login: { accountId: user.id } }, false);
  }

  async function confirm(ctx: Koa.Context, uid: string) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const form = await readForm(ctx);
    if (details.uid !== uid || details.prompt.name !== 'consent' || !csrfOk(uid, form.get('csrf'))) ctx.throw(403, 'invalid form');
    if (form.get('action') === 'cancel') {
      await finish(ctx, { error: 'access_denied', error_description: 'The user cancelled the authorization' }, false);
      return;
    }
    const m = await managementContext(details);
    if (m) return confirmManagement(ctx, details, m);
    const c = await credentialContext(details);
    if (!c || !c.summary) {
      await finish(ctx, { error: 'invalid_request', error_description: 'Invalid parameter credentialID' }, false);
      return;
    }
    const clientId = String(details.params.client_id);
    let activated: { sad: string; expiresIn: number };
    try {
      activated = await deps.sam.activate({
        ctx: requestContext(ctx),
        userId: c.userId,
        clientId,
        credentialID: c.request.credentialID,
        numSignatures: c.request.numSignatures,
        hashes: c.request.documents.length ? c.request.documents.map((d) => d.hash) : undefined,
        hashAlgorithmOID: c.request.hashAlgorithmOID,
        factors: { pin: form.get('pin') || undefined, otp: form.get('otp') || undefined },
      });
    } catch (err) {
      const code = (err as SamError).code;
      if (err instanceof SamError || (err as Error)?.name === 'SamError') {
        // The page column of the one table (core/sam_errors.ts): fixable here, or the end of the authorization.
        const outcome = SAM_ERROR_TABLE[code]?.page ?? 'server';
        if (outcome !== 'server' && 'page' in outcome) {
          await renderSignature(ctx, uid, details, errorText(langOf(ctx, details), outcome.page));
          return;
        }
        if (outcome !== 'server') {
          await finish(ctx, { error: outcome.client.error, error_description: outcome.client.description }, false);
          return;
        }
      }
      throw err;
    }
    const grant = new provider.Grant({ accountId: c.userId, clientId });
    const requested = String(details.params.scope ?? '').split(' ');
    if (requested.includes('credential')) grant.addOIDCScope('credential');
    const grantId = await grant.save();
    await deps.grants.save({
      grantId,
      userId: c.userId,
      clientId,
      credentialID: c.request.credentialID,
      sad: activated.sad,
      authorizationDetails: c.request.authorizationDetails ?? null,
      expiresAt: new Date(Date.now() + activated.expiresIn * 1000),
    });
    log.info({ event: 'oauth.credential.authorized', credentialID: c.request.credentialID, clientId }, 'signature authorized');
    await finish(ctx, { consent: { grantId } });
  }

  return async (ctx, next) => {
    if (!ctx.path.startsWith(INTERACTION_PREFIX)) return next();
    const [first, action, ...rest] = ctx.path.slice(INTERACTION_PREFIX.length).split('/');
    if (!first || rest.length) return ctx.throw(404);
    const uid: string = first;
    try {
      if (ctx.method === 'GET' && action === undefined) return await show(ctx, uid);
      if (ctx.method === 'POST' && action === 'login') return await login(ctx, uid);
      if (ctx.method === 'POST' && action === 'confirm') return await confirm(ctx, uid);
      ctx.throw(404);
    } catch (err) {
      const e = err as { status?: number; name?: string; message?: string };
      const status = e.status && e.status < 500 ? e.status : e.name === 'SessionNotFound' ? 400 : 500;
      if (status >= 500) log.error({ err }, 'interaction failed');
      setPageHeaders(ctx, { formsRedirectOut: true });
      ctx.status = status;
      ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><main><h1>This request cannot continue</h1><p role="alert">${
        status === 400 || e.name === 'SessionNotFound' ? 'The sign-in session has expired or is invalid. Go back to the application and start again.' : status < 500 ? 'The request was refused.' : 'Something went wrong.'
      }</p></main></body></html>`;
    }
  };
}
