// auth/login and auth/revoke (CSC v2 §11.2, §11.3) and the token verifier, against real PostgreSQL and Redis.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessGrant } from '../../../core/ports.ts';
import { makeAuthz, openStores, rand, refusal } from './helpers.ts';

let stores: Awaited<ReturnType<typeof openStores>>;
let a: Awaited<ReturnType<typeof makeAuthz>>;

beforeAll(async () => {
  stores = await openStores();
  a = await makeAuthz(stores.db, stores.kv, { LOGIN_MAX_FAILURES: '3' });
});
afterAll(() => stores.close());

const ip = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}-${rand(3)}`;

async function newUser(password = 'password-123') {
  const username = `u_${rand()}`;
  const { userId } = await a.users.create({ username, password });
  return { username, password, userId };
}

const login = (username: string, password: string, opts: { rememberMe?: boolean; sourceIp?: string } = {}) =>
  a.auth.login({ basic: { username, password }, rememberMe: opts.rememberMe ?? false, sourceIp: opts.sourceIp ?? ip() });

const refresh = (refreshToken: string, rememberMe = true) => a.auth.login({ refreshToken, rememberMe, sourceIp: ip() });

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

describe('auth/login with HTTP Basic', () => {
  it('returns an opaque access token valid for the configured lifetime, and stores only its hash', async () => {
    const u = await newUser();
    const res = await login(u.username, u.password);
    expect(Object.keys(res).sort()).toEqual(['access_token', 'expires_in']);
    expect(res.access_token).toMatch(TOKEN);
    expect(res.expires_in).toBe(3600);

    const grant = await a.tokens.verify(res.access_token);
    expect(grant.userId).toBe(u.userId);
    expect(grant.scope).toBe('service');
    expect(grant.clientId).toMatch(/^login:[0-9a-f-]{36}$/);
    expect(grant.expiresAt.getTime()).toBe(a.clock.t + 3600 * 1000);

    const hash = createHash('sha256').update(res.access_token).digest();
    const { rows } = await stores.db.query('SELECT kind, user_id, client_id, scope FROM authz.tokens WHERE token_hash = $1', [hash]);
    expect(rows).toEqual([{ kind: 'access', user_id: u.userId, client_id: grant.clientId, scope: 'service' }]);
    expect(grant.tokenId).toBe(hash.toString('hex'));
  });

  it('gives each login its own family, hence its own client id', async () => {
    const u = await newUser();
    const g1 = await a.tokens.verify((await login(u.username, u.password)).access_token);
    const g2 = await a.tokens.verify((await login(u.username, u.password)).access_token);
    expect(g1.clientId).not.toBe(g2.clientId);
  });

  it('refuses a wrong password and an unknown user with the same error', async () => {
    const u = await newUser();
    const expected = {
      code: 'invalidCredentials',
      status: 400,
      body: { error: 'authentication_error', error_description: 'An error occurred during the authentication process' },
    };
    expect(await refusal(login(u.username, 'not-the-password'))).toMatchObject(expected);
    expect(await refusal(login(`nobody_${rand()}`, 'not-the-password'))).toMatchObject(expected);
  });

  it('refuses a request with both Basic credentials and a refresh token, or with neither', async () => {
    const u = await newUser();
    expect(
      (await refusal(a.auth.login({ basic: { username: u.username, password: u.password }, refreshToken: 'x'.repeat(43), rememberMe: false })))
        .body,
    ).toEqual({ error: 'invalid_request', error_description: 'Send either HTTP Basic credentials or refresh_token, not both' });
    expect((await refusal(a.auth.login({ rememberMe: false }))).body).toEqual({
      error: 'invalid_request',
      error_description: 'HTTP Basic credentials or refresh_token are required',
    });
  });

  it('locks a username out after LOGIN_MAX_FAILURES failures, even for the right password, with Retry-After', async () => {
    const u = await newUser();
    for (let i = 0; i < 3; i++) expect((await refusal(login(u.username, `wrong-${i}`))).code).toBe('invalidCredentials');
    const r = await refusal(login(u.username, u.password));
    expect(r).toMatchObject({ code: 'rateLimited', status: 429, body: { error: 'access_denied', error_description: 'Too many requests' } });
    const retry = Number(r.headers['Retry-After']);
    expect(Number.isInteger(retry) && retry >= 1 && retry <= 900).toBe(true);
    // Usernames are case-insensitive, so is the lockout.
    expect((await refusal(login(u.username.toUpperCase(), u.password))).code).toBe('rateLimited');
    // Once the window is over, the right password works again.
    a.clock.t += retry * 1000;
    expect((await login(u.username, u.password)).access_token).toMatch(TOKEN);
  });

  it('locks a source IP out after failures spread over several usernames', async () => {
    const from = ip();
    for (let i = 0; i < 3; i++) await refusal(login(`nobody_${rand()}`, 'guess', { sourceIp: from }));
    const u = await newUser();
    expect((await refusal(login(u.username, u.password, { sourceIp: from }))).code).toBe('rateLimited');
    expect((await login(u.username, u.password, { sourceIp: ip() })).access_token).toMatch(TOKEN);
  });

  it('clears the username count on success, so failures do not accumulate across good logins', async () => {
    const u = await newUser();
    for (let i = 0; i < 2; i++) await refusal(login(u.username, 'wrong'));
    await login(u.username, u.password);
    for (let i = 0; i < 2; i++) await refusal(login(u.username, 'wrong'));
    expect((await login(u.username, u.password)).access_token).toMatch(TOKEN);
  });

  it('never writes a password or a token into the logs', async () => {
    const u = await newUser('secret-password-xyz');
    await refusal(login(u.username, 'secret-wrong-guess'));
    const res = await login(u.username, u.password, { rememberMe: true });
    await refresh(res.refresh_token!);
    const all = a.lines.join('\n');
    expect(all).toContain('"event":"login"');
    expect(all).toContain('"event":"login_failed"');
    for (const secret of ['secret-password-xyz', 'secret-wrong-guess', res.access_token, res.refresh_token!]) expect(all).not.toContain(secret);
  });
});

describe('auth/login with rememberMe and refresh tokens', () => {
  it('returns a refresh token, which rotates: the old one is spent and the new one works', async () => {
    const u = await newUser();
    const first = await login(u.username, u.password, { rememberMe: true });
    expect(first.refresh_token).toMatch(TOKEN);
    const clientId = (await a.tokens.verify(first.access_token)).clientId;

    const second = await refresh(first.refresh_token!);
    expect(second.refresh_token).toMatch(TOKEN);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.expires_in).toBe(3600);
    const g = await a.tokens.verify(second.access_token);
    expect(g.userId).toBe(u.userId);
    expect(g.clientId).toBe(clientId); // same login session

    const third = await refresh(second.refresh_token!);
    expect((await a.tokens.verify(third.access_token)).userId).toBe(u.userId);
  });

  it('revokes the whole family when a spent refresh token is presented again', async () => {
    const u = await newUser();
    const first = await login(u.username, u.password, { rememberMe: true });
    const second = await refresh(first.refresh_token!);

    expect(await refusal(refresh(first.refresh_token!))).toMatchObject({
      code: 'invalidRefreshToken',
      status: 400,
      body: { error: 'invalid_request', error_description: 'Invalid string parameter refresh_token' },
    });
    // The thief's copy and the legitimate one are both dead now, access tokens included.
    expect((await refusal(refresh(second.refresh_token!))).code).toBe('invalidRefreshToken');
    expect((await refusal(a.tokens.verify(first.access_token))).code).toBe('expiredToken');
    expect((await refusal(a.tokens.verify(second.access_token))).code).toBe('expiredToken');
    // Another login of the same user is not affected.
    expect((await a.tokens.verify((await login(u.username, u.password)).access_token)).userId).toBe(u.userId);
  });

  it('lets only one of two concurrent rotations of the same refresh token succeed', async () => {
    const u = await newUser();
    const first = await login(u.username, u.password, { rememberMe: true });
    const results = await Promise.allSettled([refresh(first.refresh_token!), refresh(first.refresh_token!)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('without rememberMe on the refresh call, returns an access token only and spends the refresh token', async () => {
    const u = await newUser();
    const first = await login(u.username, u.password, { rememberMe: true });
    const res = await refresh(first.refresh_token!, false);
    expect(Object.keys(res).sort()).toEqual(['access_token', 'expires_in']);
    expect((await a.tokens.verify(res.access_token)).userId).toBe(u.userId);
  });

  it('keeps the expiry of the original login across rotations, then refuses', async () => {
    const u = await newUser();
    const start = a.clock.t;
    const first = await login(u.username, u.password, { rememberMe: true });
    a.clock.t = start + 10 * 86400 * 1000;
    const second = await refresh(first.refresh_token!);
    const { rows } = await stores.db.query('SELECT expires_at FROM authz.tokens WHERE token_hash = $1', [
      createHash('sha256').update(second.refresh_token!).digest(),
    ]);
    expect((rows[0].expires_at as Date).getTime()).toBe(start + 30 * 86400 * 1000);
    a.clock.t = start + 30 * 86400 * 1000;
    expect((await refusal(refresh(second.refresh_token!))).code).toBe('invalidRefreshToken');
    a.clock.t = Date.now();
  });

  it('refuses unknown and malformed refresh tokens, and an access token used as a refresh token', async () => {
    const u = await newUser();
    const res = await login(u.username, u.password);
    for (const bad of ['A'.repeat(43), 'short', 'x'.repeat(44), res.access_token]) {
      expect((await refusal(refresh(bad))).code).toBe('invalidRefreshToken');
    }
  });
});

describe('token verifier', () => {
  it('refuses unknown and malformed tokens as invalid, and a refresh token used as a bearer', async () => {
    const invalid = { code: 'invalidToken', status: 401, body: { error: 'invalid_token', error_description: 'The access token is not valid' } };
    expect(await refusal(a.tokens.verify('B'.repeat(43)))).toMatchObject(invalid);
    expect(await refusal(a.tokens.verify('not a token'))).toMatchObject(invalid);
    const u = await newUser();
    const res = await login(u.username, u.password, { rememberMe: true });
    expect(await refusal(a.tokens.verify(res.refresh_token!))).toMatchObject(invalid);
  });

  it('refuses an access token past its lifetime as expired', async () => {
    const u = await newUser();
    const res = await login(u.username, u.password);
    const issuedAt = a.clock.t;
    a.clock.t = issuedAt + 3599 * 1000;
    await a.tokens.verify(res.access_token);
    a.clock.t = issuedAt + 3600 * 1000;
    expect(await refusal(a.tokens.verify(res.access_token))).toMatchObject({
      code: 'expiredToken',
      status: 401,
      body: { error: 'expired_token', error_description: 'The access or refresh token is expired or has been revoked' },
    });
    a.clock.t = Date.now();
  });
});

describe('auth/revoke', () => {
  async function session(rememberMe = true) {
    const u = await newUser();
    const res = await login(u.username, u.password, { rememberMe });
    const caller: AccessGrant = await a.tokens.verify(res.access_token);
    return { u, res, caller };
  }

  it('revokes an access token alone: the refresh token of the same login still works', async () => {
    const { res, caller } = await session();
    await a.auth.revoke({ caller, token: res.access_token, tokenTypeHint: 'access_token' });
    expect((await refusal(a.tokens.verify(res.access_token))).code).toBe('expiredToken');
    expect((await a.tokens.verify((await refresh(res.refresh_token!)).access_token)).userId).toBe(caller.userId);
  });

  it('revokes a refresh token with the access tokens of its family (§11.3), with or without a hint', async () => {
    for (const tokenTypeHint of ['refresh_token', undefined] as const) {
      const { u, res, caller } = await session();
      const other = await login(u.username, u.password); // another family of the same user
      await a.auth.revoke({ caller, token: res.refresh_token!, tokenTypeHint });
      expect((await refusal(refresh(res.refresh_token!))).code).toBe('invalidRefreshToken');
      expect((await refusal(a.tokens.verify(res.access_token))).code).toBe('expiredToken');
      expect((await a.tokens.verify(other.access_token)).userId).toBe(u.userId);
    }
  });

  it('finds the token even when the hint names the other kind (RFC 7009 §2.1)', async () => {
    const { res, caller } = await session();
    await a.auth.revoke({ caller, token: res.refresh_token!, tokenTypeHint: 'access_token' });
    expect((await refusal(a.tokens.verify(res.access_token))).code).toBe('expiredToken');
  });

  it("refuses another user's token exactly like an unknown one, and leaves it valid", async () => {
    const alice = await session();
    const bob = await session();
    const expected = { code: 'invalidTokenParameter', status: 400, body: { error: 'invalid_request', error_description: 'Invalid string parameter token' } };
    expect(await refusal(a.auth.revoke({ caller: alice.caller, token: bob.res.access_token }))).toMatchObject(expected);
    expect(await refusal(a.auth.revoke({ caller: alice.caller, token: bob.res.refresh_token! }))).toMatchObject(expected);
    expect(await refusal(a.auth.revoke({ caller: alice.caller, token: 'C'.repeat(43) }))).toMatchObject(expected);
    expect(await refusal(a.auth.revoke({ caller: alice.caller, token: 'garbage' }))).toMatchObject(expected);
    expect((await a.tokens.verify(bob.res.access_token)).userId).toBe(bob.caller.userId);
    expect((await refresh(bob.res.refresh_token!)).access_token).toMatch(TOKEN);
  });

  it('refuses a token_type_hint other than access_token or refresh_token', async () => {
    const { res, caller } = await session();
    const r = await refusal(a.auth.revoke({ caller, token: res.access_token, tokenTypeHint: 'id_token' as 'access_token' }));
    expect(r).toMatchObject({ code: 'invalidTokenTypeHint', body: { error: 'invalid_request', error_description: 'Invalid string parameter token_type_hint' } });
    expect((await a.tokens.verify(res.access_token)).userId).toBe(caller.userId);
  });

  it('accepts revoking an already revoked token of the caller', async () => {
    const { res, caller } = await session(false);
    await a.auth.revoke({ caller, token: res.access_token });
    await a.auth.revoke({ caller, token: res.access_token });
    expect((await refusal(a.tokens.verify(res.access_token))).code).toBe('expiredToken');
  });
});
