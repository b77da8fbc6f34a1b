// Both CSC v2 §8.4 flows in a real headless Chromium (Debian's chromium through playwright-core): the person fills
// the fields by their labels and presses the buttons by their names, exactly as the pages present them. One browser
// per file; one context (cookie jar) per person.
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// A signer can confirm at most three authorizations per 30 seconds: each TOTP step is accepted once per user, within
// ±1 step of now (oauth_harness.ts nextOtp waits for the clock when they are spent). Tests that reuse a signer may
// wait up to a step, so they get more than the default 30 s; the faster the service, the likelier the wait.
vi.setConfig({ testTimeout: 75_000 });
import { csc, opensslVerify, pem, type Server, startServer } from './harness.ts';
import { b64url, digest, newSigner, nextOtp, par, pkce, REDIRECT, registerClient, SHA256, type Signer, token } from './oauth_harness.ts';

const ES256 = '1.2.840.10045.4.3.2';
let server: Server;
let browser: Browser;
let client: { id: string; secret: string };
let alice: Signer;
let bob: Signer;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startServer(),
    chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
  ]);
  const c = await registerClient({ name: 'Browser Signing App', redirectUris: [REDIRECT] });
  client = { id: c.client_id, secret: c.client_secret! };
  [alice, bob] = await Promise.all([newSigner(server), newSigner(server)]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A page whose arrival at the client's redirect URI is captured instead of loaded. */
async function newPage(): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route(`${REDIRECT}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'client callback' }));
  return page;
}

function authorizeUrl(params: Record<string, string>) {
  return `${server.url}/oauth2/authorize?${new URLSearchParams(params)}`;
}

async function callback(page: Page): Promise<URLSearchParams> {
  await page.waitForURL(`${REDIRECT}**`, { timeout: 10_000 }).catch(async (err) => {
    throw new Error(`not at the client: ${page.url()}\n${(await page.content()).slice(0, 1500)}`, { cause: err });
  });
  return new URL(page.url()).searchParams;
}

async function signIn(page: Page, s: Signer) {
  // Throws unless the heading shows within the timeout: the page reached is the sign-in page.
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ state: 'visible', timeout: 10_000 });
  await page.getByLabel('Username', { exact: true }).fill(s.username);
  await page.getByLabel('Password', { exact: true }).fill(s.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function authorizeSignature(page: Page, s: Signer, pin = s.pin) {
  await page.getByLabel('PIN', { exact: true }).fill(pin);
  await page.getByLabel('One-time password', { exact: true }).fill(await nextOtp(s));
  await page.getByRole('button', { name: 'Authorize signature' }).click();
}

async function exchange(code: string, verifier: string, extra: Record<string, string> = {}) {
  const t = await token(server, client, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, ...extra });
  expect(t.status, JSON.stringify(t.body)).toBe(200);
  return t.body;
}

async function verifies(bearer: string, credentialID: string, hash: Buffer, signature: string) {
  const info = await csc(server, 'credentials/info', { credentialID }, { bearer });
  return opensslVerify({ certPem: pem(info.body.cert.certificates[0]), digest: hash, signature: Buffer.from(signature, 'base64'), hash: 'sha256' });
}

describe('in Chromium', { timeout: 60_000 }, () => {
  it('Flow 1: sign in for scope service, list, then authorize two hashes with PIN + OTP, sign, revoke', async () => {
    const page = await newPage();
    const p1 = pkce();
    await page.goto(authorizeUrl({ response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, scope: 'service', code_challenge: p1.challenge, code_challenge_method: 'S256', state: 'b1' }));
    await signIn(page, alice);
    const cb1 = await callback(page);
    expect(cb1.get('state')).toBe('b1');
    const service = await exchange(cb1.get('code')!, p1.verifier);
    const list = await csc(server, 'credentials/list', {}, { bearer: service.access_token });
    expect(list.body.credentialIDs).toEqual([alice.credentialID]);

    const hashes = [digest('browser-contract'), digest('browser-annex')];
    const p2 = pkce();
    await page.goto(
      authorizeUrl({
        response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, scope: 'credential', code_challenge: p2.challenge, code_challenge_method: 'S256',
        credentialID: alice.credentialID, numSignatures: '2', hashes: hashes.map(b64url).join(','), hashAlgorithmOID: SHA256, description: 'Loan agreement',
      }),
    );
    // Already signed in: straight to the signature page, which says who asks, with which key, for what.
    await page.getByRole('heading', { name: 'Authorize signature' }).waitFor();
    const text = await page.locator('main').innerText();
    expect(text).toContain('Browser Signing App');
    expect(text).toContain('Loan agreement');
    expect(text).toMatch(/Subject\s+CN=Signer/);
    expect(text).toMatch(/Issuer\s+CN=/);
    expect(text).toContain('ECDSA P-256');
    expect(text).toMatch(/Number of signatures\s+2/);
    expect(text).toContain(hashes[1]!.subarray(0, 2).toString('hex').toUpperCase());
    await authorizeSignature(page, alice);
    const cb2 = await callback(page);
    const credential = await exchange(cb2.get('code')!, p2.verifier);
    expect(credential.credentialID).toBe(alice.credentialID);
    expect(credential.refresh_token).toBeUndefined();

    const signed = await csc(
      server,
      'signatures/signHash',
      { credentialID: alice.credentialID, hashes: hashes.map((h) => h.toString('base64')), hashAlgorithmOID: SHA256, signAlgo: ES256 },
      { bearer: credential.access_token },
    );
    expect(signed.status).toBe(200);
    expect(await verifies(service.access_token, alice.credentialID, hashes[0]!, signed.body.signatures[0])).toBe(true);

    const rev = await fetch(`${server.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
      body: new URLSearchParams({ token: service.access_token }).toString(),
    });
    expect(rev.status).toBe(200);
    expect((await csc(server, 'credentials/list', {}, { bearer: service.access_token })).status).toBe(401);
    await page.context().close();
  });

  it('Flow 2: PAR + RAR in one redirect; a wrong PIN is shown inline, then the right one signs', async () => {
    const page = await newPage();
    const hash = digest('browser-flow-2');
    const details = [{ type: 'credential', credentialID: bob.credentialID, documentDigests: [{ hash: hash.toString('base64'), label: 'Lease contract' }], hashAlgorithmOID: SHA256 }];
    const p = pkce();
    const pushed = await par(server, client, {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256', authorization_details: JSON.stringify(details),
    });
    expect(pushed.status).toBe(201);
    await page.goto(authorizeUrl({ client_id: client.id, request_uri: pushed.body.request_uri }));
    await signIn(page, bob);
    await page.getByRole('heading', { name: 'Authorize signature' }).waitFor();
    expect(await page.locator('main').innerText()).toContain('Lease contract');
    await page.getByLabel('PIN', { exact: true }).fill('999999');
    await page.getByLabel('One-time password', { exact: true }).fill('000000');
    await page.getByRole('button', { name: 'Authorize signature' }).click();
    await expect(await page.getByRole('alert').innerText()).toBe('The PIN or one-time password is wrong.');
    await authorizeSignature(page, bob);
    const cb = await callback(page);
    const t = await exchange(cb.get('code')!, p.verifier, { authorization_details: JSON.stringify(details) });
    expect(t.authorization_details).toEqual(details);
    const signed = await csc(
      server,
      'signatures/signHash',
      { credentialID: bob.credentialID, hashes: [hash.toString('base64')], hashAlgorithmOID: SHA256, signAlgo: ES256 },
      { bearer: t.access_token },
    );
    expect(signed.status).toBe(200);
    await page.context().close();
  });

  it('Cancel returns access_denied to the client', async () => {
    const page = await newPage();
    const p = pkce();
    await page.goto(
      authorizeUrl({
        response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, scope: 'credential', code_challenge: p.challenge, code_challenge_method: 'S256', state: 'c1',
        credentialID: bob.credentialID, numSignatures: '1', hashes: b64url(digest('cancelled')), hashAlgorithmOID: SHA256,
      }),
    );
    await signIn(page, bob);
    await page.getByRole('button', { name: 'Cancel' }).click();
    const cb = await callback(page);
    expect(Object.fromEntries(cb)).toMatchObject({ error: 'access_denied', error_description: 'The user cancelled the authorization', state: 'c1' });
    await page.context().close();
  });
});
