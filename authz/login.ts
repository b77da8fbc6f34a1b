// The CSC API's own sign-in (CSC v2 §11.2, §11.3) on the shared stores: the user directory, auth/login +
// auth/revoke, and the verifier of the tokens they issue. Part of the authz front door (authz/index.ts), which adds
// the OAuth server; tests of login alone build just this. Migrations are applied beforehand (core/db.ts migrate).
import type { AuditTrail } from '../core/audit_port.ts';
import type { AuthzConfig } from '../core/config.ts';
import type { Db } from '../core/db.ts';
import type { Kv } from '../core/kv.ts';
import type { Logger } from '../core/log.ts';
import type { ServiceAuth, TokenVerifier } from '../core/ports.ts';
import { LoginLimiter } from './login_limiter.ts';
import { ServiceAuthImpl } from './service_auth.ts';
import { TokenCache } from './token_cache.ts';
import { TokenStore } from './token_store.ts';
import { LoginTokenVerifier } from './token_verifier.ts';
import { UserStore } from './users.ts';

export async function createLogin(deps: {
  db: Db;
  kv: Kv;
  config: AuthzConfig['authz'];
  log: Logger;
  /** Where sign-ins and token events are recorded (issue #4 item 5). */
  audit: AuditTrail;
  /** The user directory; absent: one on `db`. */
  users?: UserStore;
  /** Clock, for tests of expiry. */
  now?: () => number;
}): Promise<{ tokens: TokenVerifier; auth: ServiceAuth; users: UserStore; limiter: LoginLimiter }> {
  const log = deps.log.child({ part: 'authz' });
  const users = deps.users ?? new UserStore(deps.db);
  const store = new TokenStore(deps.db);
  const limiter = new LoginLimiter(deps.kv, { maxFailures: deps.config.loginMaxFailures, now: deps.now });
  const cache = await TokenCache.open(deps.kv, log, deps.now);
  const auth = new ServiceAuthImpl({ db: deps.db, users, tokens: store, cache, limiter, config: deps.config, log, audit: deps.audit, now: deps.now });
  return { tokens: new LoginTokenVerifier(store, cache, deps.now), auth, users, limiter };
}
