import { randomUUID } from 'node:crypto';
// The authorization server as one Koa middleware for the service's server (DESIGN §4, one-process mode):
// oidc-provider under /oauth2/* and the RFC 8414 metadata, the interaction pages, and the two CSC additions to the
// token endpoint — authorization_details checked against what was approved, and echoed with credentialID.
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { AuditTrail } from '../../core/audit_port.ts';
import type { AuthzConfig } from '../../core/config.ts';
import type { Db } from '../../core/db.ts';
import type { Kv } from '../../core/kv.ts';
import type { Logger } from '../../core/log.ts';
import { organisationOwnerId } from '../../core/owner.ts';
import type { ServiceAuth } from '../../core/ports.ts';
import type { SignatureActivation } from '../../core/sam_port.ts';
import type { LoginLimiter } from '../login_limiter.ts';
import { interactionRoutes } from '../pages/interaction.ts';
import type { UserStore } from '../users.ts';
import { PgModelAdapter } from './adapters.ts';
import { ClientRegistry } from './clients.ts';
import { CredentialGrantStore } from './credential_grants.ts';
import { ManagementGrantStore } from './management_grants.ts';
import { fapiClientAuthRefusal } from './fapi.ts';
import { RAR_PARAM, RAR_SCOPE_MARK, sameAuthorizationDetails } from './credential_request.ts';
import { loadKeys, rotateKeys } from './keys.ts';
import type { CredentialCatalog } from './ports.ts';
import { createProvider, INTERACTION_PREFIX } from './provider.ts';
import { withOAuthRevocation } from './revocation.ts';
import { OAuthTokenVerifier } from './token_verifier.ts';

export type { CredentialCatalog, CredentialSummary } from './ports.ts';

/** RFC 8414 §3: the metadata of an issuer without a path component. */
const METADATA_PATH = '/.well-known/oauth-authorization-server';

/** oidc-provider's own limit for form bodies. */
const MAX_TOKEN_BODY = 56 * 1024;

export type OAuthServer = {
  middleware: Koa.Middleware;
  tokens: OAuthTokenVerifier;
  provider: Provider;
  clients: ClientRegistry;
  /** Rotation of the server's keys for the admin API; running instances use the new key from their next start. */
  keys: { rotate(): Promise<{ kid: string }> };
  /** auth/revoke (CSC v2 §11.3) that also revokes the caller's OAuth tokens. */
  withRevocation(inner: ServiceAuth): ServiceAuth;
};

async function readRaw(ctx: Koa.Context): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_TOKEN_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function oauthError(ctx: Koa.Context, status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error, error_description: description };
}

export async function createOAuthServer(deps: {
  db: Db;
  kv: Kv;
  config: AuthzConfig;
  log: Logger;
  users: UserStore;
  limiter: LoginLimiter;
  sam: SignatureActivation;
  credentials: CredentialCatalog;
  /** Where the sign-ins of the pages are recorded (issue #4 item 5). */
  audit: Pick<AuditTrail, 'record'>;
}): Promise<OAuthServer> {
  const log = deps.log.child({ part: 'authz', component: 'oauth' });
  // Sealed by the SAM in the table, opened through its port (issue #14 finding 7): only this process's memory holds them.
  const keys = await loadKeys(deps.db, deps.sam, log);
  const grants = new CredentialGrantStore(deps.db);
  const management = new ManagementGrantStore(deps.db);
  const provider = createProvider({ db: deps.db, kv: deps.kv, config: deps.config, users: deps.users, keys });

  provider.on('server_error', (_ctx, err) => log.error({ err }, 'oauth server error'));
  // A token ended at the revocation endpoint (RFC 7009) takes the SADs of its user and client with it (issue #14
  // finding 7). oidc-provider emits this after answering: a failure is logged, the SADs still expire on their own.
  // auth/revoke revokes the SADs of the token it ended itself; the tokens it destroyed are skipped here.
  const revokedByCsc = new WeakSet<object>();
  const events = provider as unknown as { on(event: string, fn: (token: { accountId?: string; clientId?: string }) => void): void };
  for (const kind of ['access_token', 'refresh_token'] as const) {
    events.on(`${kind}.destroyed`, (token) => {
      if (!token?.accountId || !token.clientId || revokedByCsc.has(token)) return;
      deps.sam
        .revokeSads({ ctx: { requestId: randomUUID() }, userId: token.accountId, clientId: token.clientId })
        .catch((err: Error) => log.error({ event: 'oauth.revoke.sads', err: err.message }, 'SADs of a revoked OAuth token not revoked'));
    });
  }
  // An organisation's token (client credentials, CSC v2 §8.5.2.2) has no account: its SADs are the organisation's.
  events.on('client_credentials.destroyed', (token) => {
    if (!token?.clientId || revokedByCsc.has(token)) return;
    deps.sam
      .revokeSads({ ctx: { requestId: randomUUID() }, userId: organisationOwnerId(token.clientId), clientId: token.clientId })
      .catch((err: Error) => log.error({ event: 'oauth.revoke.sads', err: err.message }, 'SADs of a revoked OAuth token not revoked'));
  });
  provider.on('grant.error', (_ctx, err) => {
    const e = err as { error?: string; error_detail?: string };
    log.info({ error: e.error, detail: e.error_detail }, 'token request refused');
  });

  // CSC v2 §8.4.4 output: the token response of a credential authorization carries the credentialID, and the
  // authorization_details as approved when RAR was used; that of a credential creation or deletion (CSC v2.2) its
  // authorization_details.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'token' || ctx.status !== 200) return;
    const body = ctx.body as Record<string, unknown> | undefined;
    const code = ctx.oidc.entities.AuthorizationCode;
    if (!body?.access_token || !code?.grantId) return;
    const g = await grants.find(code.grantId);
    if (!g) {
      const m = await management.find(code.grantId);
      if (m) body.authorization_details = m.authorizationDetails;
      return;
    }
    body.credentialID = g.credentialID;
    if (g.authorizationDetails) body.authorization_details = g.authorizationDetails;
  });

  const handle = provider.callback();
  const pages = interactionRoutes({
    provider,
    config: deps.config,
    log,
    users: deps.users,
    limiter: deps.limiter,
    sam: deps.sam,
    credentials: deps.credentials,
    grants,
    management,
    csrfKey: keys.cookieKeys[0]!,
    audit: deps.audit,
  });

  /** CSC v2 §8.4.4 authorization_details: required at the token endpoint when the request used them, and equal to
   *  what the person approved. Checked before oidc-provider redeems the code, so a tampered request burns nothing. */
  async function checkTokenRequest(ctx: Koa.Context): Promise<boolean> {
    const raw = await readRaw(ctx);
    if (raw === null) {
      oauthError(ctx, 413, 'invalid_request', 'request body too large');
      return false;
    }
    const form = new URLSearchParams(raw);
    if (!fapiClientAuthAllowed(ctx, form)) return false;
    // oidc-provider must not see authorization_details (see RAR_PARAM); they are checked here instead.
    const forwarded = new URLSearchParams(form);
    forwarded.delete('authorization_details');
    (ctx.req as unknown as { body: string }).body = forwarded.toString();
    const code = form.get('code');
    if (form.get('grant_type') !== 'authorization_code' || !code || code.length > 256) return true;
    const ac = await provider.AuthorizationCode.find(code).catch(() => undefined);
    const g = ac?.grantId ? ((await grants.find(ac.grantId)) ?? (await management.find(ac.grantId))) : null;
    if (!g) return true;
    const sent = form.get('authorization_details');
    if (g.authorizationDetails) {
      if (!sent) {
        oauthError(ctx, 400, 'invalid_request', 'authorization_details is required: the authorization request used it');
        return false;
      }
      if (!sameAuthorizationDetails(sent, g.authorizationDetails)) {
        oauthError(ctx, 400, 'invalid_authorization_details', 'authorization_details differ from those authorized');
        return false;
      }
    } else if (sent) {
      oauthError(ctx, 400, 'invalid_authorization_details', 'authorization_details were not part of the authorization request');
      return false;
    }
    return true;
  }

  /** authorization_details travel to oidc-provider as RAR_PARAM, on oauth2/authorize and oauth2/pushed_authorize;
   *  a RAR request without scope gets scope "credential" (marked as implied, so that it is not taken for mixing). */
  function rewrite(q: URLSearchParams): URLSearchParams {
    const values = q.getAll('authorization_details');
    q.delete(RAR_PARAM);
    q.delete(RAR_SCOPE_MARK);
    q.delete('authorization_details');
    for (const v of values) q.append(RAR_PARAM, v);
    if (values.length && !q.get('scope')) {
      q.set('scope', 'credential');
      q.set(RAR_SCOPE_MARK, '1');
    }
    return q;
  }

  async function renameRar(ctx: Koa.Context): Promise<boolean> {
    if (ctx.method === 'GET') {
      const q = new URLSearchParams(ctx.querystring);
      if (q.has('authorization_details') || q.has(RAR_PARAM) || q.has(RAR_SCOPE_MARK)) ctx.req.url = `${ctx.path}?${rewrite(q)}`;
      return true;
    }
    if (ctx.method !== 'POST' || !ctx.is('application/x-www-form-urlencoded')) return true;
    const raw = await readRaw(ctx);
    if (raw === null) {
      oauthError(ctx, 413, 'invalid_request', 'request body too large');
      return false;
    }
    const form = new URLSearchParams(raw);
    if (ctx.path === '/oauth2/pushed_authorize' && !fapiClientAuthAllowed(ctx, form)) return false;
    (ctx.req as unknown as { body: string }).body = rewrite(form).toString();
    return true;
  }

  /** OAUTH_REQUIRE_FAPI2: client authentication by private_key_jwt only, at the two endpoints that authenticate
   *  clients (fapi.ts). A client registered as FAPI client has no other method anyway. */
  function fapiClientAuthAllowed(ctx: Koa.Context, form: URLSearchParams): boolean {
    if (!deps.config.authz.requireFapi2) return true;
    const refusal = fapiClientAuthRefusal(form, ctx.get('Authorization') || undefined);
    if (!refusal) return true;
    oauthError(ctx, refusal.status, refusal.error, refusal.description);
    return false;
  }

  const publicHost = new URL(deps.config.publicUrl).host;

  const middleware: Koa.Middleware = async (ctx, next) => {
    if (ctx.path.startsWith(INTERACTION_PREFIX)) return pages(ctx, next);
    const metadata = ctx.path === METADATA_PATH;
    if (!metadata && !ctx.path.startsWith('/oauth2/')) return next();
    if (metadata) {
      ctx.req.url = '/.well-known/openid-configuration';
      // Endpoint URLs are built from the request's host; the metadata must name the issuer's (RFC 8414 §3.3).
      ctx.req.headers.host = publicHost;
    }
    // The same for the endpoints a DPoP proof names (RFC 9449 §4.3 htu): the client takes their URLs from the
    // metadata, so oidc-provider must compare htu with the issuer's URL, not with the host the request came to.
    if (ctx.path === '/oauth2/token' || ctx.path === '/oauth2/pushed_authorize') ctx.req.headers.host = publicHost;
    if (ctx.path === '/oauth2/token' && ctx.method === 'POST' && !(await checkTokenRequest(ctx))) return;
    if ((ctx.path === '/oauth2/authorize' || ctx.path === '/oauth2/pushed_authorize') && !(await renameRar(ctx))) return;
    ctx.respond = false;
    await handle(ctx.req, ctx.res);
  };

  return {
    middleware,
    tokens: new OAuthTokenVerifier(provider, grants, management),
    provider,
    clients: new ClientRegistry(deps.db, deps.config.env === 'production', deps.config.authz.requireFapi2),
    keys: { rotate: () => rotateKeys(deps.db, deps.sam) },
    withRevocation: (inner) => withOAuthRevocation(inner, provider, new PgModelAdapter(deps.db, 'Grant'), revokedByCsc),
  };
}
