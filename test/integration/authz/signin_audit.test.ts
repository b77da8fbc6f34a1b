// auth/login and auth/revoke events in the audit trail (issue #4 item 5): sign-in success and failure, token
// issue, refresh, reuse revocation and revocation, each with the request context and never a secret. Real authz on
// PostgreSQL and Redis; the audit port is a recorder (its SQL side is tested in test/unit/sam/audit_chain.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogin } from '../../../authz/login.ts';
import type { AuditTrail, SecurityEntry } from '../../../core/audit_port.ts';
import { loadConfig } from '../../../core/config.ts';
import { captureLogger, openStores, rand } from './helpers.ts';

let stores: Awaited<ReturnType<typeof openStores>>;
let authz: Awaited<ReturnType<typeof createLogin>>;
const entries: SecurityEntry[] = [];

beforeAll(async () => {
  stores = await openStores();
  const audit: AuditTrail = {
    record: async (e) => void entries.push(e),
    export: async function* () {},
    evidence: async () => [],
  };
  authz = await createLogin({ db: stores.db, kv: stores.kv, config: loadConfig({ NODE_ENV: 'test' }).authz, log: captureLogger().log, audit });
});
afterAll(() => stores.close());

const ctx = () => ({ requestId: `req-${rand()}`, sourceIp: '198.51.100.4', userAgent: 'app/2' });
const of = (requestId: string) => entries.filter((e) => e.ctx.requestId === requestId).map((e) => ({ event: e.event, result: e.result, errorCode: e.errorCode, userId: e.userId }));

describe('sign-in and token events', () => {
  it('records a wrong password (with the user when the account exists), an unknown user, and a sign-in with its token', async () => {
    const username = `u_${rand()}`;
    const password = `pw-${rand()}`;
    const { userId } = await authz.users.create({ username, password });

    const c1 = ctx();
    await expect(authz.auth.login({ basic: { username, password: 'wrong-one' }, rememberMe: false, sourceIp: c1.sourceIp, ctx: c1 })).rejects.toThrow();
    expect(of(c1.requestId)).toEqual([{ event: 'signin', result: 'refused', errorCode: 'invalidCredentials', userId }]);

    const c2 = ctx();
    await expect(authz.auth.login({ basic: { username: `nobody_${rand()}`, password }, rememberMe: false, sourceIp: c2.sourceIp, ctx: c2 })).rejects.toThrow();
    expect(of(c2.requestId)).toEqual([{ event: 'signin', result: 'refused', errorCode: 'invalidCredentials', userId: undefined }]);

    const c3 = ctx();
    const res = await authz.auth.login({ basic: { username, password }, rememberMe: true, sourceIp: c3.sourceIp, ctx: c3 });
    expect(of(c3.requestId)).toEqual([
      { event: 'signin', result: 'ok', errorCode: undefined, userId },
      { event: 'token.issue', result: 'ok', errorCode: undefined, userId },
    ]);
    expect(entries.find((e) => e.ctx.requestId === c3.requestId)!.ctx).toEqual(c3);

    const c4 = ctx();
    const refreshed = await authz.auth.login({ refreshToken: res.refresh_token!, rememberMe: true, sourceIp: c4.sourceIp, ctx: c4 });
    expect(of(c4.requestId)).toEqual([{ event: 'token.refresh', result: 'ok', errorCode: undefined, userId }]);

    // The used refresh token again: the family is revoked, and both facts are recorded.
    const c5 = ctx();
    await expect(authz.auth.login({ refreshToken: res.refresh_token!, rememberMe: true, sourceIp: c5.sourceIp, ctx: c5 })).rejects.toThrow();
    expect(of(c5.requestId)).toEqual([
      { event: 'token.revoke', result: 'ok', errorCode: undefined, userId },
      { event: 'token.refresh', result: 'refused', errorCode: 'invalidRefreshToken', userId },
    ]);

    const c6 = ctx();
    const fresh = await authz.auth.login({ basic: { username, password }, rememberMe: false, sourceIp: c6.sourceIp, ctx: c6 });
    const caller = await authz.tokens.verify(fresh.access_token);
    const c7 = ctx();
    await authz.auth.revoke({ caller, token: fresh.access_token, ctx: c7 });
    expect(of(c7.requestId)).toEqual([{ event: 'token.revoke', result: 'ok', errorCode: undefined, userId }]);

    // No secret anywhere in what was recorded.
    const all = JSON.stringify(entries);
    for (const secret of [password, 'wrong-one', res.access_token, res.refresh_token!, refreshed.access_token, fresh.access_token]) {
      expect(all).not.toContain(secret);
    }
  });
});
