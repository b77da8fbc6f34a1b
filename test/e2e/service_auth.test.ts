// CSC v2 §11.2 auth/login and §11.3 auth/revoke, black-box.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, csc, type Server, startServer, totp } from './harness.ts';

let server: Server;
const username = `sa-${randomBytes(3).toString('hex')}`;
const password = 'a long password';

beforeAll(async () => {
  server = await startServer();
  expect((await admin(server, 'user:create', '--username', username, '--password', password)).code).toBe(0);
}, 120_000);
afterAll(() => server?.stop());

describe('auth/login and auth/revoke', () => {
  it('issues a service token that lists credentials, and refuses a wrong password', async () => {
    const ok = await csc(server, 'auth/login', {}, { basic: [username, password] });
    expect(ok.status).toBe(200);
    expect(ok.body.expires_in).toBe(3600);
    expect(ok.body.refresh_token).toBeUndefined();
    expect((await csc(server, 'credentials/list', {}, { bearer: ok.body.access_token })).status).toBe(200);
    const bad = await csc(server, 'auth/login', {}, { basic: [username, 'wrong password'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('authentication_error');
  });

  it('rememberMe returns a refresh token that logs in again', async () => {
    const first = await csc(server, 'auth/login', { rememberMe: true }, { basic: [username, password] });
    expect(typeof first.body.refresh_token).toBe('string');
    const again = await csc(server, 'auth/login', { refresh_token: first.body.refresh_token });
    expect(again.status).toBe(200);
    expect(again.body.access_token).not.toBe(first.body.access_token);
  });

  it('a revoked token no longer works', async () => {
    const { body } = await csc(server, 'auth/login', {}, { basic: [username, password] });
    const revoked = await csc(server, 'auth/revoke', { token: body.access_token, token_type_hint: 'access_token' }, { bearer: body.access_token });
    expect(revoked.status).toBe(204); // CSC v2 §11.3: No Content
    const after = await csc(server, 'credentials/list', {}, { bearer: body.access_token });
    expect(after.status).toBe(401);
    expect(after.body.error).toMatch(/^(invalid_token|expired_token)$/);
  });

  it('refuses a request without a token, and a malformed Authorization header', async () => {
    const none = await csc(server, 'credentials/list', {});
    expect(none).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    const res = await fetch(`${server.url}/csc/v2/credentials/list`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Token abc' }, body: '{}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'Malformed authorization header' });
  });
});

describe('auth/revoke ends the SADs of the session (issue #14 finding 7)', () => {
  it('a SAD obtained with a revoked access token cannot sign, even through a token refreshed in the same session', async () => {
    const { secret } = (await admin(server, 'otp:enroll', '--username', username)).json;
    const created = await admin(server, 'credential:create', '--username', username, '--algo', 'ES256', '--pin', '97531');
    expect(created.code, created.stderr).toBe(0);
    const { credentialID } = created.json;
    const first = await csc(server, 'auth/login', { rememberMe: true }, { basic: [username, password] });
    const hash = randomBytes(32).toString('base64');
    const auth = await csc(server, 'credentials/authorize', {
      credentialID, numSignatures: 1, hashes: [hash], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
      authData: [{ id: 'PIN', value: '97531' }, { id: 'OTP', value: await totp(secret) }],
    }, { bearer: first.body.access_token });
    expect(auth.status).toBe(200);
    expect((await csc(server, 'auth/revoke', { token: first.body.access_token }, { bearer: first.body.access_token })).status).toBe(204);
    // The refresh token lives on: same session (same client), a new access token.
    const again = await csc(server, 'auth/login', { refresh_token: first.body.refresh_token });
    expect(again.status).toBe(200);
    const sign = await csc(server, 'signatures/signHash', { credentialID, SAD: auth.body.SAD, hashes: [hash], signAlgo: '1.2.840.10045.4.3.2' }, { bearer: again.body.access_token });
    expect([sign.status, sign.body]).toEqual([400, { error: 'invalid_request', error_description: 'Invalid parameter SAD' }]);
  }, 60_000);
});

describe('behind a reverse proxy (TRUST_PROXY=1), on Redis', () => {
  let proxied: Server;
  beforeAll(async () => {
    proxied = await startServer({ TRUST_PROXY: '1', LOGIN_MAX_FAILURES: '3', DATABASE_URL: process.env.DATABASE_URL!, REDIS_URL: process.env.REDIS_URL! });
    expect((await admin(proxied, 'user:create', '--username', `${username}-p`, '--password', password)).code).toBe(0);
  }, 120_000);
  afterAll(() => proxied?.stop());

  /** As the load balancer forwards it: the client's own X-Forwarded-For, then the address the proxy saw appended. */
  const login = async (user: string, pass: string, forwardedFor: string) =>
    fetch(`${proxied.url}/csc/v2/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`, 'x-forwarded-for': forwardedFor },
      body: '{}',
    });

  it('throttles the guessing client by its own address, not everyone behind the proxy', async () => {
    for (const n of [1, 2, 3]) expect((await login(`nobody-${n}-${randomBytes(2).toString('hex')}`, 'guess', '198.51.100.7')).status).toBe(400);
    expect((await login(`nobody-4-${randomBytes(2).toString('hex')}`, 'guess', '198.51.100.7')).status).toBe(429);
    // Prepending an address of one's own choosing does not escape: only the entry the proxy added is believed.
    expect((await login(`nobody-5-${randomBytes(2).toString('hex')}`, 'guess', '203.0.113.99, 198.51.100.7')).status).toBe(429);
    // Another client behind the same proxy signs in.
    expect((await login(`${username}-p`, password, '198.51.100.8')).status).toBe(200);
  });

  it('evaluates at most LOGIN_MAX_FAILURES of 20 parallel wrong passwords for one user', async () => {
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => login(`${username}-p`, `wrong ${i}`, `192.0.2.${i + 1}`).then((r) => r.status)));
    expect(statuses.filter((s) => s === 400)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(17);
  });
});
