// auth/login and auth/revoke (CSC v2 §11.2, §11.3): service authorization with HTTP Basic credentials, refresh
// tokens for "remember me", and revocation. rssp parses the wire format; this file decides.
//
// Every login starts a token family (one random id). The family's client id is `login:<family>` (core/ports.ts
// AccessGrant), so a SAD minted under one login session is useless to another. Refresh tokens rotate: each is
// single-use, and presenting one that was already used revokes the whole family, since either the legitimate app
// or a thief holds a copy (RFC 9700 §4.14.2, RFC 6749 §10.4).
import { randomUUID } from 'node:crypto';
import type { AuthzConfig } from '../core/config.ts';
import { tx, type Db } from '../core/db.ts';
import { CscError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { AuditTrail, SecurityEntry } from '../core/audit_port.ts';
import type { AccessGrant, LoginResult, RevokedSession, ServiceAuth } from '../core/ports.ts';
import type { RequestContext } from '../core/sam_port.ts';
import { ipKey, type LoginAttempt, LoginLimiter, userKey } from './login_limiter.ts';
import type { TokenCache } from './token_cache.ts';
import { TOKEN_PATTERN, TokenStore } from './token_store.ts';
import type { UserStore } from './users.ts';

const LOGIN_SCOPE = 'service';
const loginClientId = (familyId: string) => `login:${familyId}`;

export type ServiceAuthDeps = {
  db: Db;
  users: UserStore;
  tokens: TokenStore;
  /** Verified access tokens (token_cache.ts): told after each revocation commits. */
  cache: TokenCache;
  limiter: LoginLimiter;
  config: Pick<AuthzConfig['authz'], 'serviceTokenLifetimeSeconds' | 'refreshTokenLifetimeSeconds'>;
  log: Logger;
  /** Sign-ins and token events go to the audit trail (issue #4 item 5); absent in unit tests of this file. */
  audit: AuditTrail;
  now?: () => number;
};

export class ServiceAuthImpl implements ServiceAuth {
  private readonly now: () => number;

  constructor(private readonly deps: ServiceAuthDeps) {
    this.now = deps.now ?? Date.now;
  }

  async login(cmd: Parameters<ServiceAuth['login']>[0]): Promise<LoginResult> {
    // §11.2: the refresh token is an alternative to the Authorization header, never sent together with it.
    if (cmd.basic && cmd.refreshToken !== undefined) {
      throw new CscError('invalidRequest', { description: 'Send either HTTP Basic credentials or refresh_token, not both' });
    }
    const ctx: RequestContext = cmd.ctx ?? { requestId: randomUUID(), sourceIp: cmd.sourceIp };
    if (cmd.basic) return this.loginWithPassword(cmd.basic, cmd.rememberMe, cmd.sourceIp, ctx);
    if (cmd.refreshToken !== undefined) return this.loginWithRefreshToken(cmd.refreshToken, cmd.rememberMe, cmd.sourceIp, ctx);
    throw new CscError('invalidRequest', { description: 'HTTP Basic credentials or refresh_token are required' });
  }

  private async loginWithPassword(
    basic: { username: string; password: string },
    rememberMe: boolean,
    sourceIp: string | undefined,
    ctx: RequestContext,
  ): Promise<LoginResult> {
    const { limiter, users, log } = this.deps;
    let attempt: LoginAttempt;
    try {
      attempt = await limiter.attempt({ user: userKey(basic.username), ip: sourceIp ? ipKey(sourceIp) : undefined });
    } catch (err) {
      // Throttled (429), or the throttle's store is down (the login fails closed: 500).
      const throttled = err instanceof CscError;
      await this.audit({
        event: 'signin',
        result: throttled ? 'refused' : 'error',
        errorCode: throttled ? err.code : 'throttle_unavailable',
        ctx,
        detail: { method: 'password' },
      });
      throw err;
    }
    const user = await users.authenticate(basic.username, basic.password);
    if (!user) {
      // The attempt taken above stays counted as a failure.
      // The user id only when the account exists: the typed username itself stays out (it may be a password).
      const known = await users.byUsername(basic.username).catch(() => null);
      await this.audit({ event: 'signin', result: 'refused', errorCode: 'invalidCredentials', ctx, userId: known?.id, detail: { method: 'password' } });
      // The username is not logged: a password typed into the username field would end up in the logs.
      log.warn({ event: 'login_failed', sourceIp }, 'auth/login refused');
      throw new CscError('invalidCredentials');
    }
    await attempt.succeeded();

    const familyId = randomUUID();
    const now = this.now();
    const result = await tx(this.deps.db, async (c) => {
      const access = await this.issueAccess(c, user.id, familyId, now);
      const out: LoginResult = { access_token: access, expires_in: this.deps.config.serviceTokenLifetimeSeconds };
      if (rememberMe) {
        // Note 25 of §11.2 leaves it to us: a user keeps one refresh token per device (per login), so earlier
        // ones stay valid.
        out.refresh_token = await this.deps.tokens.issue(c, {
          kind: 'refresh',
          familyId,
          userId: user.id,
          clientId: loginClientId(familyId),
          scope: LOGIN_SCOPE,
          expiresAt: new Date(now + this.deps.config.refreshTokenLifetimeSeconds * 1000),
        });
      }
      return out;
    });
    log.info({ event: 'login', userId: user.id, familyId, rememberMe }, 'auth/login with password');
    await this.audit({ event: 'signin', result: 'ok', ctx, userId: user.id, clientId: loginClientId(familyId), detail: { method: 'password' } });
    await this.audit({
      event: 'token.issue',
      result: 'ok',
      ctx,
      userId: user.id,
      clientId: loginClientId(familyId),
      detail: { family: familyId, refresh: result.refresh_token !== undefined },
    });
    return result;
  }

  private async loginWithRefreshToken(token: string, rememberMe: boolean, sourceIp: string | undefined, ctx: RequestContext): Promise<LoginResult> {
    const { limiter, tokens, log } = this.deps;
    // Guessing refresh tokens counts against the address like wrong passwords.
    const attempt = await limiter.attempt({ ip: sourceIp ? ipKey(sourceIp) : undefined });
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) throw new CscError('invalidRefreshToken');
    const now = this.now();
    // The outcome is decided inside the transaction but thrown after it commits: the family revocation that a
    // reused token triggers must persist even though the request fails.
    const outcome = await tx(this.deps.db, async (c) => {
      const row = await tokens.find(token, c, true);
      if (!row || row.kind !== 'refresh') return { kind: 'unknown' as const };
      if (row.revokedAt) {
        const revoked = await tokens.revokeFamily(row.familyId, new Date(now), c);
        return { kind: 'reused' as const, row, revoked };
      }
      if (row.expiresAt.getTime() <= now) return { kind: 'expired' as const, row };
      await tokens.revoke(row.hash, new Date(now), c);
      const access = await this.issueAccess(c, row.userId, row.familyId, now);
      const out: LoginResult = { access_token: access, expires_in: this.deps.config.serviceTokenLifetimeSeconds };
      if (rememberMe) {
        // The family keeps the expiry of the password login that started it: "remember me" lasts the period the
        // RSSP announced from the moment the user authenticated (§11.2 Note 26), not forever by rotation.
        out.refresh_token = await tokens.issue(c, {
          kind: 'refresh',
          familyId: row.familyId,
          userId: row.userId,
          clientId: row.clientId,
          scope: row.scope,
          expiresAt: row.expiresAt,
        });
      }
      return { kind: 'ok' as const, row, out };
    });

    // A token that exists (valid, expired or reused) was not a guess.
    if (outcome.kind !== 'unknown') await attempt.succeeded();
    switch (outcome.kind) {
      case 'ok':
        log.info({ event: 'login_refresh', userId: outcome.row.userId, familyId: outcome.row.familyId, rememberMe }, 'auth/login with refresh token');
        await this.audit({
          event: 'token.refresh',
          result: 'ok',
          ctx,
          userId: outcome.row.userId,
          clientId: outcome.row.clientId,
          detail: { family: outcome.row.familyId, refresh: outcome.out.refresh_token !== undefined },
        });
        return outcome.out;
      case 'reused':
        await this.deps.cache.revoked();
        log.warn(
          { event: 'refresh_token_reuse', userId: outcome.row.userId, familyId: outcome.row.familyId, revoked: outcome.revoked, sourceIp },
          'a used refresh token was presented again: the whole login family is revoked',
        );
        await this.audit({
          event: 'token.revoke',
          result: 'ok',
          ctx,
          userId: outcome.row.userId,
          clientId: outcome.row.clientId,
          detail: { family: outcome.row.familyId, reason: 'refresh token reused', revoked: outcome.revoked },
        });
        break;
      case 'expired':
        log.info({ event: 'login_refresh_expired', userId: outcome.row.userId, familyId: outcome.row.familyId }, 'expired refresh token');
        break;
      case 'unknown':
        // The attempt stays counted: an unknown token is a guess.
        log.warn({ event: 'login_refresh_unknown', sourceIp }, 'unknown refresh token');
        break;
    }
    await this.audit({
      event: 'token.refresh',
      result: 'refused',
      errorCode: 'invalidRefreshToken',
      ctx,
      userId: outcome.kind === 'unknown' ? undefined : outcome.row.userId,
      detail: { outcome: outcome.kind },
    });
    throw new CscError('invalidRefreshToken');
  }

  /** Fails closed: a sign-in or token event that cannot be recorded fails the request (500), since the trail must
   *  hold every security event. */
  private async audit(entry: SecurityEntry): Promise<void> {
    await this.deps.audit.record(entry);
  }

  private issueAccess(c: Parameters<TokenStore['issue']>[0], userId: string, familyId: string, now: number): Promise<string> {
    return this.deps.tokens.issue(c, {
      kind: 'access',
      familyId,
      userId,
      clientId: loginClientId(familyId),
      scope: LOGIN_SCOPE,
      expiresAt: new Date(now + this.deps.config.serviceTokenLifetimeSeconds * 1000),
    });
  }

  /** §11.3. A refresh token takes its family down with it (the access tokens of the same grant); an access token
   *  goes alone. The hint only says where to look first: the lookup is by hash over both kinds anyway, which is
   *  what RFC 7009 §2.1 asks when the hinted kind does not match. Another user's token is reported exactly like an
   *  unknown one, so that the answer does not tell whether a token exists. Revoking a token that is already
   *  revoked or expired succeeds: the caller gets the state it asked for. */
  async revoke(cmd: Parameters<ServiceAuth['revoke']>[0]): Promise<RevokedSession> {
    const hint: unknown = cmd.tokenTypeHint;
    if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token') throw new CscError('invalidTokenTypeHint');
    if (typeof cmd.token !== 'string') throw new CscError('invalidTokenParameter');
    const row = await this.deps.tokens.find(cmd.token);
    if (!row || row.userId !== cmd.caller.userId) throw new CscError('invalidTokenParameter');
    const at = new Date(this.now());
    let revoked = 1;
    if (row.kind === 'refresh') {
      revoked = await this.deps.tokens.revokeFamily(row.familyId, at);
      this.deps.log.info({ event: 'revoke', userId: row.userId, familyId: row.familyId, kind: row.kind, revoked }, 'auth/revoke');
    } else {
      await this.deps.tokens.revoke(row.hash, at);
      this.deps.log.info({ event: 'revoke', userId: row.userId, familyId: row.familyId, kind: row.kind }, 'auth/revoke');
    }
    await this.deps.cache.revoked();
    await this.audit({
      event: 'token.revoke',
      result: 'ok',
      ctx: cmd.ctx ?? { requestId: randomUUID() },
      userId: row.userId,
      clientId: row.clientId,
      detail: { family: row.familyId, kind: row.kind, revoked },
    });
    return { userId: row.userId, clientId: row.clientId };
  }
}
