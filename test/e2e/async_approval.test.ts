// Issue #4 item 2, black-box: credentials/authorize answers 202 with a handle for a credential approved out of
// band; the person opens the link from the outbox in real headless Chromium, sees the request, approves with PIN
// and one-time password (labels "PIN", "One-time password", buttons "Approve"/"Refuse"); authorizeCheck answers
// 202 before, the SAD once after (signature checked by openssl), and the spec's errors after refusal. A pending
// request survives a restart of the service (it lives in PostgreSQL). The form is CSRF-protected.
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, adminApi, csc, opensslVerify, pem, type Server, startServer, totp } from './harness.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const PIN = '135790';

let server: Server;
let browser: Browser;
const env = { REDIS_URL: '' }; // in-process store: other suites' logins from 127.0.0.1 cannot throttle ours

beforeAll(async () => {
  server = await startServer(env, { keepData: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (server) rmSync(server.dataDir, { recursive: true, force: true });
});

type Person = { username: string; secret: string; token: string };

async function newPerson(): Promise<Person> {
  const username = `appr-${randomBytes(4).toString('hex')}`;
  await adminApi(server, 'POST', '/admin/users', { username, password: 'correct horse battery', email: `${username}@example.org` });
  const enrolled = await adminApi(server, 'POST', `/admin/users/${username}/otp`);
  return { username, secret: enrolled.secret, token: await login(username) };
}

async function login(username: string): Promise<string> {
  const res = await csc(server, 'auth/login', {}, { basic: [username, 'correct horse battery'] });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

async function newCredential(p: Person): Promise<string> {
  // Through the CLI once per test: --approval is part of the operator's contract.
  const res = await admin(server, 'credential:create', '--username', p.username, '--algo', 'ES256', '--pin', PIN, '--approval', 'async');
  expect(res.code, res.stderr).toBe(0);
  return res.json.credentialID;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function authorize(p: Person, credentialID: string, hash: Buffer) {
  return csc(server, 'credentials/authorize', { credentialID, numSignatures: 1, hashes: [hash.toString('base64')], hashAlgorithmOID: SHA256, description: 'Lease contract' }, { bearer: p.token });
}

function check(p: Person, handle: string) {
  return csc(server, 'credentials/authorizeCheck', { handle }, { bearer: p.token });
}

/** The approval link of the latest message to `p`, on the address the test reaches the server at. */
async function approvalLink(p: Person): Promise<string> {
  const text: string = (await adminApi(server, 'POST', '/admin/outbox', { username: p.username })).messages.at(-1).text;
  const url = new URL(/(https?:\/\/\S+\/approve\/[A-Za-z0-9_-]+)/.exec(text)![1]!);
  return `${server.url}${url.pathname}`;
}

describe('asynchronous authorization', () => {
  it('202 with a handle, approval on the page in a browser, then the SAD once from authorizeCheck', async () => {
    const p = await newPerson();
    const credentialID = await newCredential(p);
    const hash = digest('lease.pdf');
    const res = await authorize(p, credentialID, hash);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const handle: string = res.body.handle;
    expect(handle).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(await check(p, handle)).toMatchObject({ status: 202, body: { handle } });

    const page = await browser.newPage();
    try {
      await page.goto(await approvalLink(p));
      expect(await page.textContent('h1')).toBe('Approve signature');
      expect(await page.textContent('main')).toContain('Lease contract');
      expect(await page.textContent('main')).toContain(hash.toString('base64'));
      expect(await page.locator('.qr svg').count()).toBe(1);
      // A wrong PIN first: the page says so and the request stays pending.
      await page.getByLabel('PIN').fill('000000');
      await page.getByLabel('One-time password').fill(await totp(p.secret));
      await page.getByRole('button', { name: 'Approve' }).click();
      expect(await page.getByRole('alert').textContent()).toBe('The PIN or one-time password is wrong.');
      expect((await check(p, handle)).status).toBe(202);
      await page.getByLabel('PIN').fill(PIN);
      await page.getByLabel('One-time password').fill(await totp(p.secret));
      await page.getByRole('button', { name: 'Approve' }).click();
      expect(await page.textContent('h1')).toBe('Signature approved');
    } finally {
      await page.close();
    }

    const done = await check(p, handle);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.expiresIn).toBeGreaterThan(0);
    const signed = await csc(server, 'signatures/signHash', { credentialID, SAD: done.body.SAD, hashes: [hash.toString('base64')], signAlgo: ECDSA_SHA256 }, { bearer: p.token });
    expect(signed.status).toBe(200);
    const info = await csc(server, 'credentials/info', { credentialID, certificates: 'single' }, { bearer: p.token });
    expect(await opensslVerify({ certPem: pem(info.body.cert.certificates[0]), digest: hash, signature: Buffer.from(signed.body.signatures[0], 'base64'), hash: 'sha256' })).toBe(true);
    // The SAD is handed out once; the handle is then spent.
    expect((await check(p, handle)).body).toEqual({ error: 'invalid_request', error_description: 'Invalid parameter handle' });
  });

  it('refused on the page: authorizeCheck answers access_denied', async () => {
    const p = await newPerson();
    const credentialID = await newCredential(p);
    const { body } = await authorize(p, credentialID, digest('other.pdf'));
    const page = await browser.newPage();
    try {
      await page.goto(await approvalLink(p));
      await page.getByRole('button', { name: 'Refuse' }).click();
      expect(await page.textContent('h1')).toBe('Signature refused');
    } finally {
      await page.close();
    }
    const res = await check(p, body.handle);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'access_denied', error_description: 'The user refused the authorization' });
  });

  it('refuses a handle of another user, and a form posted without the CSRF cookie', async () => {
    const p = await newPerson();
    const other = await newPerson();
    const credentialID = await newCredential(p);
    const { body } = await authorize(p, credentialID, digest('x.pdf'));
    expect((await check(other, body.handle)).body).toEqual({ error: 'invalid_request', error_description: 'Invalid parameter handle' });
    const link = await approvalLink(p);
    const forged = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: 'guess', decision: 'refuse' }).toString(),
    });
    expect(forged.status).toBe(403);
    expect((await check(p, body.handle)).status).toBe(202);
    const unknown = await fetch(`${server.url}/approve/${randomBytes(32).toString('base64url')}`);
    expect(unknown.status).toBe(404);
  });

  it('a pending request survives a restart of the service and can be approved after it', async () => {
    const p = await newPerson();
    const credentialID = await newCredential(p);
    const { body } = await authorize(p, credentialID, digest('restart.pdf'));
    const link = new URL(await approvalLink(p)).pathname;
    await server.stop();
    server = await startServer({ ...env, DATA_DIR: server.dataDir }, { dataDir: server.dataDir, keepData: true });
    expect((await check(p, body.handle)).status).toBe(202);
    const page = await browser.newPage();
    try {
      await page.goto(`${server.url}${link}`);
      await page.getByLabel('PIN').fill(PIN);
      await page.getByLabel('One-time password').fill(await totp(p.secret));
      await page.getByRole('button', { name: 'Approve' }).click();
      expect(await page.textContent('h1')).toBe('Signature approved');
    } finally {
      await page.close();
    }
    expect((await check(p, body.handle)).status).toBe(200);
  }, 60_000);
});
