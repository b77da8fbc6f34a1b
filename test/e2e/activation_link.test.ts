// Self-service activation links end to end (issue #14 finding 1): the operator creates a credential without a PIN and
// issues a link it never sees; the person opens it in a real Chromium, chooses the PIN, enrols the authenticator with
// a first code, and then signs with exactly those factors. Then the same with the api tier in production mode talking
// to a SAM process (split mode), where the admin routes that would hand the operator a factor are refused.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshDatabase } from '../db_fixtures.ts';
import { activationLinkFor as linkFor, redeemActivation } from './activation_page.ts';
import { admin, csc, freePort, opensslVerify, pem, type Server, startServer, totp } from './harness.ts';
import { ES256, makeTls, SHA256, splitEnv, startSam } from './split_harness.ts';

vi.setConfig({ testTimeout: 90_000 });

const INVALID = 'This activation link is not valid: it is unknown, has already been used, or has expired. Ask your administrator for a new one.';

type Person = { username: string; password: string; email: string; userId: string; credentialID: string };

/** What an operator does in production: a user with an e-mail address, a credential without a PIN. */
async function pendingPerson(server: Server): Promise<Person> {
  const username = `act${randomBytes(4).toString('hex')}`;
  const password = 'pw-activation-1';
  const email = `${username}@example.org`;
  const u = await admin(server, 'user:create', '--username', username, '--email', email, '--password', password);
  expect(u.code, u.stderr).toBe(0);
  const c = await admin(server, 'credential:create', '--username', username, '--algo', 'ES256', '--pin-by', 'activation');
  expect(c.code, c.stderr).toBe(0);
  return { username, password, email, userId: u.json.userId, credentialID: c.json.credentialID };
}

async function signWith(server: Server, p: Person, pin: string, secret: string): Promise<void> {
  const login = await csc(server, 'auth/login', {}, { basic: [p.username, p.password] });
  expect(login.status).toBe(200);
  const bearer = login.body.access_token as string;
  const hash = createHash('sha256').update(`signed after activation ${p.username}`).digest();
  // The code that confirmed the enrolment is spent (RFC 6238 §5.2): the next step's code authorizes.
  const auth = await csc(server, 'credentials/authorize', {
    credentialID: p.credentialID, numSignatures: 1, hashes: [hash.toString('base64')], hashAlgorithmOID: SHA256,
    authData: [{ id: 'PIN', value: pin }, { id: 'OTP', value: await totp(secret, 1) }],
  }, { bearer });
  expect(auth.status, JSON.stringify(auth.body)).toBe(200);
  const signed = await csc(server, 'signatures/signHash', {
    credentialID: p.credentialID, SAD: auth.body.SAD, hashes: [hash.toString('base64')], hashAlgorithmOID: SHA256, signAlgo: ES256,
  }, { bearer });
  expect(signed.status, JSON.stringify(signed.body)).toBe(200);
  const info = await csc(server, 'credentials/info', { credentialID: p.credentialID, certificates: 'single' }, { bearer });
  expect(await opensslVerify({ certPem: pem(info.body.cert.certificates[0]), digest: hash, signature: Buffer.from(signed.body.signatures[0], 'base64'), hash: 'sha256' })).toBe(true);
}

async function auditRows(userId: string) {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ event: string; result: string; error_code: string | null; action: string | null }>(
      `SELECT event, result, error_code, detail::jsonb->>'action' AS action FROM sam.audit
        WHERE user_id = $1 AND (event LIKE 'activation.%' OR detail::jsonb->>'action' = 'activation.issue') ORDER BY id`,
      [userId],
    );
    return rows.map((r) => [r.event, r.result, r.error_code, r.action]);
  } finally {
    await c.end();
  }
}

describe('one process, in Chromium', () => {
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startServer(),
      chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'] }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the admin gets where and until when, never the link; the person activates in the browser and signs with their own factors', async () => {
    const p = await pendingPerson(server);
    // Before activation the credential has no PIN: nothing can authorize with it.
    const issued = await admin(server, 'activation:issue', '--username', p.username);
    expect(issued.code, issued.stderr).toBe(0);
    expect(Object.keys(issued.json).sort()).toEqual(['credentialIDs', 'expiresAt', 'sentTo']);
    expect(issued.json.sentTo).toEqual({ channel: 'email', to: p.email });
    expect(issued.json.credentialIDs).toEqual([p.credentialID]);
    expect(Date.parse(issued.json.expiresAt) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    const { base, token, text } = await linkFor(server, p.username);
    expect(base).toBe(`http://localhost:${server.env.PORT}/activate/`);
    expect(text).toContain('expires in 24 hours');
    expect(issued.stdout + issued.stderr).not.toContain(token);

    const page = await (await browser.newContext()).newPage();
    const res = await page.goto(`${server.url}/activate/${token}`);
    expect(res!.status()).toBe(200);
    const h = res!.headers();
    expect(h['cache-control']).toBe('no-store');
    expect(h['x-frame-options']).toBe('DENY');
    expect(h['referrer-policy']).toBe('no-referrer');
    expect(h['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    await page.getByRole('heading', { name: 'Activate your signing credential' }).waitFor();
    expect(await page.locator('main').innerText()).toContain(p.credentialID);
    const secret = (await page.locator('#totp-secret').innerText()).trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = await page.locator('#totp-uri').innerText();
    expect(uri).toMatch(new RegExp(`^otpauth://totp/RSSP:${p.username}\\?`));
    expect(new URL(uri).searchParams.get('secret')).toBe(secret);

    // Two PINs that differ: said on the page, nothing stored.
    await page.getByLabel('New PIN', { exact: true }).fill('735190');
    await page.getByLabel('Repeat the PIN', { exact: true }).fill('735191');
    await page.getByLabel('Code from your authenticator app', { exact: true }).fill(await totp(secret));
    await page.getByRole('button', { name: 'Activate' }).click();
    expect(await page.getByRole('alert').innerText()).toBe('The two PINs are not the same.');
    // A wrong code: said on the page.
    await page.getByLabel('New PIN', { exact: true }).fill('735190');
    await page.getByLabel('Repeat the PIN', { exact: true }).fill('735190');
    await page.getByLabel('Code from your authenticator app', { exact: true }).fill('000000');
    await page.getByRole('button', { name: 'Activate' }).click();
    expect(await page.getByRole('alert').innerText()).toBe('The code from your authenticator app is wrong. Check that your phone shows the right time, and try again.');
    // The right one.
    await page.getByLabel('New PIN', { exact: true }).fill('735190');
    await page.getByLabel('Repeat the PIN', { exact: true }).fill('735190');
    await page.getByLabel('Code from your authenticator app', { exact: true }).fill(await totp(secret));
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('heading', { name: 'Activation complete' }).waitFor();
    expect(await page.getByRole('status').innerText()).toBe('Your PIN is set and your authenticator app is enrolled. You can now authorize signatures with them.');

    // Single use: the link now gets the one message for unknown, used and expired links.
    const again = await page.goto(`${server.url}/activate/${token}`);
    expect(again!.status()).toBe(404);
    expect(await page.getByRole('alert').innerText()).toBe(INVALID);
    const unknown = await page.goto(`${server.url}/activate/${'A'.repeat(43)}`);
    expect(unknown!.status()).toBe(404);
    expect(await page.getByRole('alert').innerText()).toBe(INVALID);
    await page.context().close();

    await signWith(server, p, '735190', secret);
    expect(await auditRows(p.userId)).toEqual([
      ['activation.issue', 'ok', null, null],
      ['admin', 'ok', null, 'activation.issue'],
      ['activation.redeem', 'refused', 'SAM_OTP_INVALID', null],
      ['activation.redeem', 'ok', null, null],
    ]);
  });

  it('a redemption posted again after success is refused with the same message (no replay of the form)', async () => {
    const p = await pendingPerson(server);
    expect((await admin(server, 'activation:issue', '--username', p.username, '--credential', p.credentialID)).code).toBe(0);
    const { token } = await linkFor(server, p.username);
    const get = await fetch(`${server.url}/activate/${token}`);
    const html = await get.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const cookie = get.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(html)![1]!;
    const post = async (otp: string) =>
      fetch(`${server.url}/activate/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ csrf, pin: '918273', pin2: '918273', otp }).toString(),
      });
    const code = await totp(secret);
    const first = await post(code);
    expect(first.status).toBe(200);
    const second = await post(code);
    expect(second.status).toBe(404);
    expect(await second.text()).toContain(INVALID);
    expect((await auditRows(p.userId)).filter((r) => r[0] === 'activation.redeem')).toEqual([
      ['activation.redeem', 'ok', null, null],
      ['activation.redeem', 'refused', 'SAM_ACTIVATION_INVALID', null],
    ]);
    // A form without the cookie's CSRF value is refused before anything reaches the SAM.
    const forged = await fetch(`${server.url}/activate/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=x&pin=1&pin2=1' });
    expect(forged.status).toBe(403);
  });

  it('limits submissions per source IP: 429 with Retry-After and one clear message, before the SAM is asked', async () => {
    const p = await pendingPerson(server);
    expect((await admin(server, 'activation:issue', '--username', p.username)).code).toBe(0);
    const { token } = await linkFor(server, p.username);
    const get = await fetch(`${server.url}/activate/${token}`);
    const html = await get.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const cookie = get.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const answers: Array<{ status: number; retry: string | null; text: string }> = [];
    // 10 per minute and address: 25 in a row cross the limit whatever earlier tests spent and wherever the window starts.
    for (let i = 0; i < 25; i++) {
      const res = await fetch(`${server.url}/activate/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ csrf, pin: '111111', pin2: '222222', otp: '000000' }).toString(),
      });
      answers.push({ status: res.status, retry: res.headers.get('retry-after'), text: await res.text() });
    }
    expect(answers[0]!.status).toBe(400);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(Number(limited[0]!.retry)).toBeGreaterThan(0);
    expect(limited[0]!.text).toContain('Too many attempts from your network. Wait a minute and try again.');
    expect(answers.every((a) => a.status === 400 || a.status === 429)).toBe(true);
  });

  it('refuses to issue for a user without an address, or for a credential that is not theirs (exact errors)', async () => {
    const username = `noaddr${randomBytes(3).toString('hex')}`;
    expect((await admin(server, 'user:create', '--username', username, '--password', 'pw-activation-2')).code).toBe(0);
    expect((await admin(server, 'credential:create', '--username', username, '--algo', 'ES256', '--pin-by', 'activation')).code).toBe(0);
    const r = await admin(server, 'activation:issue', '--username', username);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: The user has no e-mail address or phone number to send an activation link to (HTTP 400 invalid_request)\n');
    const other = await pendingPerson(server);
    const r2 = await admin(server, 'activation:issue', '--username', username, '--credential', other.credentialID);
    expect(r2.stderr).toBe('error: No credential with this credentialID (HTTP 404 invalid_request)\n');
  });
});

describe('split mode, api in production', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let sam: Server;
  let api: Server;
  let adminUrl: string;
  const adminToken = randomBytes(24).toString('base64url');
  let tlsBase: string;

  beforeAll(async () => {
    tlsBase = mkdtempSync(path.join(os.tmpdir(), 'rssp-act-'));
    db = await freshDatabase();
    const split = await splitEnv({ samDatabaseUrl: db.url, apiDatabaseUrl: db.url, redisUrl: process.env.REDIS_URL!, tlsDir: await makeTls(path.join(tlsBase, 'tls')) });
    sam = await startSam(split.samEnv);
    const adminPort = await freePort();
    api = await startServer({
      ...split.apiEnv, NODE_ENV: 'production', ADMIN_LISTEN: `127.0.0.1:${adminPort}`, ADMIN_TOKEN: adminToken, PUBLIC_URL: 'https://sign.example.test',
    });
    adminUrl = `http://127.0.0.1:${adminPort}`;
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
    await sam?.stop();
    await db?.drop();
    rmSync(tlsBase, { recursive: true, force: true });
  });

  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${adminUrl}${p}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('refuses the admin routes that would give the operator a PIN or a TOTP seed, naming activation links', async () => {
    const username = `prod${randomBytes(3).toString('hex')}`;
    expect((await call('POST', '/admin/users', { username, password: 'pw-production-1', email: `${username}@example.org` })).status).toBe(201);
    expect(await call('POST', `/admin/users/${username}/otp`)).toEqual({
      status: 403,
      body: {
        error: 'access_denied',
        error_description:
          'In production the admin API does not hand out TOTP seeds (sole control): issue an activation link, on which the user enrols their own authenticator (POST /admin/users/{username}/activation, activation:issue)',
      },
    });
    expect(await call('POST', `/admin/users/${username}/credentials`, { algo: 'ES256', pin: '123456' })).toEqual({
      status: 403,
      body: {
        error: 'access_denied',
        error_description:
          'In production the admin API does not set PINs (sole control): create the credential without one and issue an activation link, on which the user chooses it (POST /admin/users/{username}/activation, activation:issue)',
      },
    });
  });

  it('issues, redeems through the api tier and the SAM process, and signs', async () => {
    const username = `prod${randomBytes(3).toString('hex')}`;
    const password = 'pw-production-2';
    const created = await call('POST', '/admin/users', { username, password, email: `${username}@example.org` });
    const cred = await call('POST', `/admin/users/${username}/credentials`, { algo: 'ES256' });
    expect(cred.status).toBe(201);
    const issued = await call('POST', `/admin/users/${username}/activation`, {});
    expect(issued.status).toBe(201);
    expect(issued.body).toEqual({ sentTo: { channel: 'email', to: `${username}@example.org` }, expiresAt: issued.body.expiresAt, credentialIDs: [cred.body.credentialID] });
    // The SAM process sent it (its outbox, in this test); the api tier never saw the secret.
    const { base, token } = await linkFor(sam, username);
    expect(base).toBe('https://sign.example.test/activate/');
    expect(JSON.stringify(issued.body)).not.toContain(token);

    const { get, secret, status, html } = await redeemActivation(api.url, token, '650184');
    expect(get.headers.get('strict-transport-security')).toBe('max-age=31536000');
    const setCookie = get.headers.getSetCookie()[0]!;
    expect(setCookie).toMatch(/; secure/i);
    expect(setCookie).toMatch(/samesite=strict/i);
    expect(status).toBe(200);
    expect(html).toContain('Your PIN is set and your authenticator app is enrolled.');
    await signWith(api, { username, password, email: '', userId: created.body.userId, credentialID: cred.body.credentialID }, '650184', secret!);
  });

  it('an e-seal too: the operator sets no PIN and gets no seed; the organisation activates on the link and seals', async () => {
    const org = await call('POST', '/admin/clients', { name: 'Production sealing', sealOwner: true });
    expect(org.status, JSON.stringify(org.body)).toBe(201);
    const clientId = org.body.client_id as string;
    const seal = (body: object) => call('POST', `/admin/clients/${clientId}/seals`, { organization: 'Example Widgets SA', algo: 'ES256', ...body });
    expect(await seal({ pin: '24680' })).toEqual({
      status: 403,
      body: {
        error: 'access_denied',
        error_description:
          'In production the admin API does not set the PIN of a seal (sole control): create the seal without one and send the organisation an activation link (POST /admin/clients/{client_id}/activation, seal:activation)',
      },
    });
    expect(await call('POST', `/admin/clients/${clientId}/otp`)).toEqual({
      status: 403,
      body: {
        error: 'access_denied',
        error_description:
          'In production the admin API does not hand out TOTP seeds (sole control): the organisation enrols its authenticator on an activation link (POST /admin/clients/{client_id}/activation, seal:activation)',
      },
    });
    const created = await seal({});
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const credentialID = created.body.credentialID as string;

    const tokenRes = await fetch(`${api.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${org.body.client_secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials&scope=service',
    });
    expect(tokenRes.status).toBe(200);
    const bearer = ((await tokenRes.json()) as { access_token: string }).access_token;
    const hash = createHash('sha256').update('sealed in production').digest();
    const authorize = async (authData: object[]) =>
      csc(api, 'credentials/authorize', { credentialID, numSignatures: 1, hashes: [hash.toString('base64')], hashAlgorithmOID: SHA256, authData }, { bearer });
    // Before the link is redeemed the seal has no PIN: nothing activates it.
    expect(await authorize([{ id: 'PIN', value: '24680' }])).toMatchObject({
      status: 400, body: { error: 'invalid_authentication_data', error_description: 'The authentication data is invalid' },
    });

    expect(await call('POST', `/admin/clients/${clientId}/activation`, {})).toEqual({
      status: 400, body: { error: 'invalid_request', error_description: "An activation link needs the organisation's e-mail address or phone number (email, phone)" },
    });
    const issued = await call('POST', `/admin/clients/${clientId}/activation`, { email: 'seals@widgets.example' });
    expect(issued).toEqual({
      status: 201, body: { sentTo: { channel: 'email', to: 'seals@widgets.example' }, expiresAt: issued.body.expiresAt, credentialIDs: [credentialID] },
    });
    const { base, token } = await linkFor(sam, clientId);
    expect(base).toBe('https://sign.example.test/activate/');
    const redeemed = await redeemActivation(api.url, token, '418273');
    expect(redeemed.status).toBe(200);
    expect(redeemed.html).toContain('Your PIN is set and your authenticator app is enrolled.');

    const auth = await authorize([{ id: 'PIN', value: '418273' }, { id: 'OTP', value: await totp(redeemed.secret!, 1) }]);
    expect(auth.status, JSON.stringify(auth.body)).toBe(200);
    const signed = await csc(api, 'signatures/signHash', { credentialID, SAD: auth.body.SAD, hashes: [hash.toString('base64')], hashAlgorithmOID: SHA256, signAlgo: ES256 }, { bearer });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const info = await csc(api, 'credentials/info', { credentialID, certificates: 'single' }, { bearer });
    expect(await opensslVerify({ certPem: pem(info.body.cert.certificates[0]), digest: hash, signature: Buffer.from(signed.body.signatures[0], 'base64'), hash: 'sha256' })).toBe(true);
  });
});
