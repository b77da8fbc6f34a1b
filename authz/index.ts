// The authz front door for the composition root (service.ts): given only its own configuration (core/config.ts
// AuthzConfig: the authz section, the public URL, the environment and the purge retention; never the SAM's PIN),
// builds the whole authorization side — the user directory, auth/login + auth/revoke (authz/login.ts), the OAuth 2.0
// authorization server of CSC v2 §8.4 with its interaction pages, the approval (CSC v2 §11.7) and activation pages,
// the throttles in front of /oauth2/*, the audit of OAuth events, and the purge of the authz schema. Bearer tokens
// of the CSC API come from auth/login or from the OAuth server: one verifier answers for both.
import type Koa from 'koa';
import type { AuditTrail } from '../core/audit_port.ts';
import type { AuthzConfig } from '../core/config.ts';
import type { Db } from '../core/db.ts';
import type { Kv } from '../core/kv.ts';
import type { Logger } from '../core/log.ts';
import type { Limits } from '../core/policy.ts';
import type { ServiceAuth, TokenVerifier } from '../core/ports.ts';
import type { PurgeJob } from '../core/purge.ts';
import type { SignatureActivation } from '../core/sam_port.ts';
import { createLogin } from './login.ts';
import type { ClientRegistry } from './oauth/clients.ts';
import { credentialCatalog } from './oauth/credential_catalog.ts';
import { createOAuthServer } from './oauth/index.ts';
import { CompositeTokenVerifier } from './oauth/token_verifier.ts';
import { auditOAuthEvents } from './oauth_audit.ts';
import { oauthRateLimit } from './oauth_rate_limit.ts';
import { activationPages } from './pages/activation.ts';
import { approvalPages } from './pages/approval.ts';
import { purgeAuthz } from './purge.ts';
import { UserStore } from './users.ts';

export type Authz = {
  /** Verifies the bearer tokens of the CSC API: those of auth/login and those of the OAuth server. */
  tokens: TokenVerifier;
  /** auth/login and auth/revoke (CSC v2 §11.2, §11.3); revoking also ends the caller's OAuth tokens. */
  auth: ServiceAuth;
  /** OAuth clients and the rotation of the server's keys, for the admin API. */
  clients: ClientRegistry;
  oauthKeys: { rotate(): Promise<{ kid: string }> };
  /** In order: the throttles of /oauth2/*, the OAuth server and its pages, the approval and the activation pages. */
  middleware: Koa.Middleware[];
  purge: PurgeJob;
};

/**
 * The user directory, made before the rest: rssp's credential records need it, and the OAuth signature page needs
 * those records. So service.ts makes the users, then the credentials (rssp/index.ts), then createAuthz with both.
 */
export function openUsers(db: Db): UserStore {
  return new UserStore(db);
}

export async function createAuthz(
  config: AuthzConfig,
  deps: {
    db: Db;
    kv: Kv;
    log: Logger;
    /** Where sign-ins and token events are recorded (issue #4 item 5). */
    audit: AuditTrail;
    /** The SAM, in this process or its client: it seals the OAuth keys (issue #14 finding 7) and serves the pages. */
    sam: SignatureActivation;
    /** Throttling of the OAuth endpoints and the activation pages (core/policy.ts), on the shared Kv. */
    limits: Limits;
    users: UserStore;
    /** The credential records (rssp's, as a plain look-up) that the signature page describes. */
    credentials: Parameters<typeof credentialCatalog>[0];
  },
): Promise<Authz> {
  const { db, kv, log, audit, sam, limits } = deps;
  const login = await createLogin({ db, kv, config: config.authz, log, audit, users: deps.users });
  // It opens its keys through the SAM port at start (sealed in authz.oauth_keys): the SAM must exist by now.
  const oauth = await createOAuthServer({
    db, kv, config, log, users: login.users, limiter: login.limiter, sam, credentials: credentialCatalog(deps.credentials), audit,
  });
  auditOAuthEvents(oauth.provider, audit, log);

  const middleware = [
    oauthRateLimit(limits),
    oauth.middleware,
    // Approval pages of asynchronous authorization (CSC v2 §11.7), reached by the link sent to the person.
    approvalPages({ sam, log, publicUrl: config.publicUrl }),
    // Self-service activation links (issue #14 finding 1): the person chooses their PIN and enrols their authenticator.
    activationPages({ sam, log, publicUrl: config.publicUrl, limiter: limits.limiter }),
  ];
  return {
    tokens: new CompositeTokenVerifier([login.tokens, oauth.tokens]),
    auth: oauth.withRevocation(login.auth),
    clients: oauth.clients,
    oauthKeys: oauth.keys,
    middleware,
    purge: (q, now) => purgeAuthz(q, new Date(now.getTime() - config.purge.afterSeconds * 1000)),
  };
}
