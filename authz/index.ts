// Builds the authz part from the shared stores: the user directory, auth/login + auth/revoke, and the verifier
// of the tokens they issue. Migrations are applied by the composition root (core/db.ts migrate) beforehand.
import type { AuditTrail } from '../core/audit_port.ts';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db.ts';
import type { Kv } from '../core/kv.ts';
import type { Logger } from '../core/log.ts';
import type { ServiceAuth, TokenVerifier } from '../core/ports.ts';
import { LoginLimiter } from './login_limiter.ts';
import { ServiceAuthImpl } from './service_auth.ts';
import { TokenStore } from './token_store.ts';
import { LoginTokenVerifier } from './token_verifier.ts';
import { UserStore } from './users.ts';

export { UserStore } from './users.ts';
export { createOAuthServer, type CredentialCatalog } from './oauth/index.ts';
export { credentialCatalog } from './oauth/credential_catalog.ts';
export { CompositeTokenVerifier } from './oauth/token_verifier.ts';

export async function createAuthz(deps: {
  db: Db;
  kv: Kv;
  config: Config;
  log: Logger;
  /** Where sign-ins and token events are recorded (issue #4 item 5). */
  audit: AuditTrail;
  /** Clock, for tests of expiry. */
  now?: () => number;
}): Promise<{ tokens: TokenVerifier; auth: ServiceAuth; users: UserStore; limiter: LoginLimiter }> {
  const log = deps.log.child({ part: 'authz' });
  const users = new UserStore(deps.db);
  const store = new TokenStore(deps.db);
  const limiter = new LoginLimiter(deps.kv, { maxFailures: deps.config.authz.loginMaxFailures, now: deps.now });
  const auth = new ServiceAuthImpl({ db: deps.db, users, tokens: store, limiter, config: deps.config.authz, log, audit: deps.audit, now: deps.now });
  return { tokens: new LoginTokenVerifier(store, deps.now), auth, users, limiter };
}
