// A service published at an https PUBLIC_URL behind a TLS-terminating proxy (issue #14 finding 7): HSTS on every
// answer, the approval page's CSRF cookie Secure although the hop from the proxy is plain HTTP, and, with
// OAUTH_REQUIRE_PAR, an authorization request that was not pushed first refused.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, adminApi, csc, type Server, startServer } from './harness.ts';
import { pkce, REDIRECT } from './oauth_harness.ts';

let server: Server;
const PUBLIC = 'https://rssp.example.test';

beforeAll(async () => {
  server = await startServer({ PUBLIC_URL: PUBLIC, OAUTH_REQUIRE_PAR: 'true' });
}, 120_000);
afterAll(() => server?.stop());

describe('https PUBLIC_URL', () => {
  it('sends Strict-Transport-Security on the CSC API and the OAuth server', async () => {
    const info = await fetch(`${server.url}/csc/v2/info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(info.headers.get('strict-transport-security')).toBe('max-age=31536000');
    const meta = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
    expect(meta.headers.get('strict-transport-security')).toBe('max-age=31536000');
  });

  it('sets the approval page CSRF cookie Secure when TLS ends before the service', async () => {
    const username = `hs${randomBytes(3).toString('hex')}`;
    await adminApi(server, 'POST', '/admin/users', { username, password: 'correct horse battery', email: `${username}@example.org` });
    await adminApi(server, 'POST', `/admin/users/${username}/otp`);
    const cred = await admin(server, 'credential:create', '--username', username, '--algo', 'ES256', '--pin', '24680', '--approval', 'async');
    expect(cred.code, cred.stderr).toBe(0);
    const bearer = (await csc(server, 'auth/login', {}, { basic: [username, 'correct horse battery'] })).body.access_token;
    const hash = createHash('sha256').update('https').digest('base64');
    const res = await csc(server, 'credentials/authorize', { credentialID: cred.json.credentialID, numSignatures: 1, hashes: [hash], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1' }, { bearer });
    expect(res.status).toBe(202);
    const text: string = (await adminApi(server, 'POST', '/admin/outbox', { username })).messages.at(-1).text;
    const link = new URL(/(https:\/\/\S+\/approve\/[A-Za-z0-9_-]+)/.exec(text)![1]!);
    expect(link.origin).toBe(PUBLIC);
    const page = await fetch(`${server.url}${link.pathname}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('set-cookie')).toMatch(/^rssp_approval_csrf=[^;]+;.*; secure;/i);
  });

  it('refuses an authorization request that was not pushed (OAUTH_REQUIRE_PAR)', async () => {
    const c = await admin(server, 'client:create', '--name', 'PAR only', '--redirect-uri', REDIRECT);
    expect(c.code, c.stderr).toBe(0);
    const p = pkce();
    const params = new URLSearchParams({ client_id: c.json.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'service', code_challenge: p.challenge, code_challenge_method: 'S256', state: 's' });
    const res = await fetch(`${server.url}/oauth2/authorize?${params}`, { redirect: 'manual' });
    const where = res.headers.get('location') ?? '';
    const body = where ? '' : await res.text();
    expect(`${where} ${body}`).toMatch(/invalid_request/);
    expect(decodeURIComponent(`${where} ${body}`).replaceAll('+', ' ')).toMatch(/Pushed Authorization Request must be used/);
  });
});
