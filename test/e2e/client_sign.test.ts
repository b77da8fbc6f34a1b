// Issue #5 item 2: the signing client end to end — `npm run sign` (client/cli.ts) against the service as a
// separate process, its PDFs checked by poppler's pdfsig with the exported CA root trusted in an NSS database,
// its .p7s files by `openssl cms -verify`, ECDSA and RSA credentials, batches under one SAD.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import net from 'node:net';
import { chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CscApi } from '../../client/csc_api.ts';
import { authorizeCredentialWithOAuth, discoverOAuth } from '../../client/oauth_flow.ts';
import { signDocuments } from '../../client/sign_documents.ts';
import { classicPdf, xrefStreamPdf } from '../unit/client/pdf_fixtures.ts';
import { cmsOfPdf, signatureTimestampOf, tsVerify } from './ades_verify.ts';
import { newCredential, newUser, type Server, startServer, type TestUser, totp } from './harness.ts';
import { registerClient } from './oauth_harness.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

let server: Server;
type Signer = TestUser;

/** A signer with a TOTP enrolment, through the admin API (these tests are about the signing client). */
const newSigner = (): Promise<Signer> => newUser(server, 'signer', (username) => ({ name: 'Sam Signer', email: `${username}@example.org` }));

const credentialOf = (signer: Signer, algo: string, multisign = 3, authMode: 'explicit' | 'oauth2code' = 'explicit'): Promise<string> =>
  newCredential(server, signer.username, { algo, pin: '123456', multisign, authMode });

/** `npm run sign -- ...` as a user types it. */
async function sign(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; json?: any }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'client/cli.ts', '--url', server.url, ...args], { cwd: ROOT, env: { ...process.env, CSC_PASSWORD: '' } });
    return { code: 0, stdout, stderr, json: JSON.parse(stdout) };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * The CLI in a pseudo-terminal (util-linux `script`), answering each prompt as it appears, as a user would type.
 * Returns everything the terminal showed.
 */
async function signOnTerminal(args: string[], answers: string[]): Promise<{ code: number; screen: string }> {
  const cmd = [process.execPath, '--import', 'tsx', 'client/cli.ts', '--url', server.url, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env: { ...process.env, CSC_PASSWORD: '', CSC_PIN: '' } });
  let screen = '';
  let next = 0;
  let answeredAt = 0;
  const onData = (d: Buffer) => {
    screen += d.toString();
    // Answer a prompt once: only when a new "Label: " has appeared since the last answer.
    const shown = screen.slice(answeredAt).replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''); // readline's cursor moves
    if (next < answers.length && /[A-Za-z)] ?: $/.test(shown)) {
      answeredAt = screen.length;
      child.stdin.write(`${answers[next++]}\r`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
  return { code, screen };
}

const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

/** The user's side of CSC v2 §8.4 in a Chromium page: sign in if asked, type PIN + OTP if asked (scope
 *  "credential"), and land on the client's loopback redirect. */
async function approve(page: Page, authUrl: string, signer: Signer, redirectUri: string, opts: { signIn?: boolean } = {}): Promise<void> {
  const landed = () => page.waitForURL(`${redirectUri}?**`).then(() => 'redirect' as const);
  await page.goto(authUrl);
  const signIn = (await page.locator('#username').count()) > 0;
  if (opts.signIn !== undefined) expect(signIn, 'sign-in page shown').toBe(opts.signIn);
  if (signIn) {
    await page.fill('#username', signer.username);
    await page.fill('#password', signer.password);
    await page.click('button[type=submit]');
  }
  if ((await Promise.race([page.waitForSelector('#pin').then(() => 'pin' as const), landed()])) === 'pin') {
    await page.fill('#pin', '123456');
    await page.fill('#otp', await totp(signer.otpSecret));
    await page.click('button[value=authorize]');
    await landed();
  }
  expect(await page.textContent('body')).toContain('Authorization received');
}

async function approveInBrowser(authUrl: string, signer: Signer, redirectUri: string): Promise<void> {
  const browser = await chromium.launch(CHROMIUM);
  try {
    await approve(await browser.newPage(), authUrl, signer, redirectUri);
  } finally {
    await browser.close();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const workDirs: string[] = [];
function workDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rssp-client-'));
  workDirs.push(dir);
  return dir;
}

/** An NSS database trusting only `rootPem` as a CA: what pdfsig validates the certificate chain against. */
async function nssDbTrusting(rootPemFile?: string): Promise<string> {
  const dir = workDir();
  await run('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
  if (rootPemFile) await run('certutil', ['-A', '-d', `sql:${dir}`, '-n', 'rssp-dev-root', '-t', 'CT,C,C', '-i', rootPemFile]);
  return dir;
}

async function pdfsig(file: string, nssDir?: string): Promise<string> {
  try {
    const { stdout } = await run('pdfsig', [...(nssDir ? ['-nssdir', `sql:${nssDir}`] : []), file]);
    return stdout;
  } catch (err) {
    const e = err as { stdout: string; stderr: string };
    return `${e.stdout}${e.stderr}`;
  }
}

async function cmsVerify(p7s: string, content: string, rootPem: string): Promise<{ ok: boolean; out: string }> {
  try {
    const { stderr } = await run('openssl', ['cms', '-verify', '-binary', '-content', content, '-inform', 'DER', '-in', p7s, '-CAfile', rootPem, '-out', '/dev/null']);
    return { ok: /Verification successful/.test(stderr), out: stderr };
  } catch (err) {
    return { ok: false, out: (err as { stderr: string }).stderr };
  }
}

/** What pdfsig prints for a valid PAdES signature over the whole file by a certificate chaining to our root. */
function expectValidPades(out: string, signatures = 1) {
  expect(out).toContain(`Digital Signature Info of: `);
  const sigs = out.split(/^Signature #\d+:$/m).slice(1);
  expect(sigs, out).toHaveLength(signatures);
  for (const s of sigs) {
    expect(s, out).toContain('- Signature Type: ETSI.CAdES.detached');
    expect(s, out).toContain('- Signature Validation: Signature is Valid.');
    expect(s, out).toContain('- Certificate Validation: Certificate is Trusted.');
    expect(s, out).toContain('- Signer Certificate Common Name: Sam Signer');
  }
  expect(sigs[sigs.length - 1], out).toContain('- Total document signed');
}

beforeAll(async () => {
  // Failed logins are counted per source IP in Redis (authz/login_limiter.ts), and every test server on this
  // machine shares one Redis and 127.0.0.1: our deliberate bad logins go to a database of their own so that they
  // never throttle another suite's server.
  const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  redis.pathname = '/9';
  server = await startServer({ REDIS_URL: redis.toString(), LOGIN_MAX_FAILURES: '1000' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  for (const d of workDirs) rmSync(d, { recursive: true, force: true });
});

describe('npm run sign', () => {
  it('ECDSA: a batch of three files (classic-xref PDF, xref-stream PDF, text) under one authorization, verified by pdfsig and openssl cms', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'ES256');
    const dir = workDir();
    const originals = { classic: classicPdf(), stream: xrefStreamPdf(), text: Buffer.from('A contract in plain text.\n') };
    writeFileSync(path.join(dir, 'classic.pdf'), originals.classic);
    writeFileSync(path.join(dir, 'stream.pdf'), originals.stream);
    writeFileSync(path.join(dir, 'notes.txt'), originals.text);
    const root = path.join(dir, 'root.pem');

    // One OTP on the command line: the service refuses a TOTP step used twice, so success means one authorize.
    const res = await sign(
      '--username', signer.username, '--password', signer.password, '--credential', credentialID,
      '--pin', '123456', '--otp', await totp(signer.otpSecret), '--export-root', root,
      path.join(dir, 'classic.pdf'), path.join(dir, 'stream.pdf'), path.join(dir, 'notes.txt'),
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.credentialID).toBe(credentialID);
    expect(res.json.signed.map((s: { output: string; format: string }) => [path.basename(s.output), s.format])).toEqual([
      ['classic-signed.pdf', 'pades'],
      ['stream-signed.pdf', 'pades'],
      ['notes.txt.p7s', 'cades'],
    ]);
    expect(res.stderr).toMatch(/writing\s+\[#+\] 3\/3/);
    expect(res.stderr).not.toContain('123456');
    expect(readFileSync(root, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----\n/);

    const nss = await nssDbTrusting(root);
    for (const name of ['classic', 'stream'] as const) {
      const signed = readFileSync(path.join(dir, `${name}-signed.pdf`));
      // An incremental update: the original bytes are untouched at the start of the signed file.
      expect(signed.subarray(0, originals[name].length).equals(originals[name])).toBe(true);
      expectValidPades(await pdfsig(path.join(dir, `${name}-signed.pdf`), nss));
    }
    const ok = await cmsVerify(path.join(dir, 'notes.txt.p7s'), path.join(dir, 'notes.txt'), root);
    expect(ok, ok.out).toMatchObject({ ok: true });

    // Without our root in the NSS database, the signature is still valid; only the issuer is unknown.
    const untrusted = await pdfsig(path.join(dir, 'stream-signed.pdf'), await nssDbTrusting());
    expect(untrusted).toContain('- Signature Validation: Signature is Valid.');
    expect(untrusted).toContain("- Certificate Validation: Certificate issuer isn't Trusted.");

    // The verifiers do check: a changed byte of content fails both.
    writeFileSync(path.join(dir, 'notes.txt'), 'A contract in plain text!\n');
    expect((await cmsVerify(path.join(dir, 'notes.txt.p7s'), path.join(dir, 'notes.txt'), root)).ok).toBe(false);
    const tampered = readFileSync(path.join(dir, 'classic-signed.pdf'));
    tampered[tampered.indexOf('Hello, signed world')] = 'J'.charCodeAt(0);
    writeFileSync(path.join(dir, 'tampered.pdf'), tampered);
    expect(await pdfsig(path.join(dir, 'tampered.pdf'), nss)).toContain('- Signature Validation: Digest Mismatch.');
  }, 60_000);

  it('--level B-T: each signature carries a signature-time-stamp from signatures/timestamp that openssl ts verifies over the signature value', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'ES256');
    const dir = workDir();
    writeFileSync(path.join(dir, 'deed.pdf'), classicPdf());
    writeFileSync(path.join(dir, 'deed.txt'), 'A deed, time-stamped.\n');
    const root = path.join(dir, 'root.pem');
    const res = await sign(
      '--username', signer.username, '--password', signer.password, '--credential', credentialID, '--level', 'B-T',
      '--pin', '123456', '--otp', await totp(signer.otpSecret), '--export-root', root, path.join(dir, 'deed.pdf'), path.join(dir, 'deed.txt'),
    );
    expect(res.code, res.stderr).toBe(0);
    expectValidPades(await pdfsig(path.join(dir, 'deed-signed.pdf'), await nssDbTrusting(root)));
    const ok = await cmsVerify(path.join(dir, 'deed.txt.p7s'), path.join(dir, 'deed.txt'), root);
    expect(ok, ok.out).toMatchObject({ ok: true });
    const rootPem = readFileSync(root, 'utf8');
    for (const cms of [cmsOfPdf(readFileSync(path.join(dir, 'deed-signed.pdf'))), readFileSync(path.join(dir, 'deed.txt.p7s'))]) {
      const stamp = signatureTimestampOf(cms);
      expect(stamp).toBeDefined();
      const verified = await tsVerify(stamp!.token, stamp!.signatureValue, rootPem);
      expect(verified.ok, verified.out).toBe(true);
    }
    expect((await sign('--level', 'B-LT', path.join(dir, 'deed.txt'))).stderr).toContain('--level must be B-B or B-T');
  }, 60_000);

  it('RSA (PKCS#1 v1.5): a PDF and a binary file; the signed PDF signed again with ECDSA (two signatures, both valid)', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'RS256');
    const dir = workDir();
    writeFileSync(path.join(dir, 'doc.pdf'), classicPdf());
    writeFileSync(path.join(dir, 'blob.bin'), randomBytes(4096));
    const root = path.join(dir, 'root.pem');
    const first = await sign('--username', signer.username, '--password', signer.password, '--pin', '123456', '--otp', await totp(signer.otpSecret), '--export-root', root, path.join(dir, 'doc.pdf'), path.join(dir, 'blob.bin'));
    expect(first.code, first.stderr).toBe(0);
    expect(first.json.credentialID).toBe(credentialID); // the only credential is picked without --credential
    const nss = await nssDbTrusting(root);
    expectValidPades(await pdfsig(path.join(dir, 'doc-signed.pdf'), nss));
    const ok = await cmsVerify(path.join(dir, 'blob.bin.p7s'), path.join(dir, 'blob.bin'), root);
    expect(ok, ok.out).toMatchObject({ ok: true });

    // A second signature, by an ECDSA credential, on the signed PDF: an update of a file that already has an AcroForm.
    // (A different certificate on purpose: pdfsig 22.12 reports "Unknown issue with Certificate" for the second of
    // two signatures by the same certificate, also when both CMS are made by `openssl cms -sign`.)
    const ecCredential = await credentialOf(signer, 'ES256');
    const second = await sign('--username', signer.username, '--password', signer.password, '--credential', ecCredential, '--pin', '123456', '--otp', await totp(signer.otpSecret, 1), '--out-dir', path.join(dir, 'again'), path.join(dir, 'doc-signed.pdf'));
    expect(second.code, second.stderr).toBe(0);
    const out = await pdfsig(path.join(dir, 'again', 'doc-signed-signed.pdf'), nss);
    expectValidPades(out, 2);
    expect(out.split(/^Signature #\d+:$/m)[1]).toContain('- Not total document signed');
  }, 60_000);

  it('refusals are clear: a wrong PIN, more files than multisign, not a PDF signed as PAdES, a bad login, an oauth2code credential without OAuth settings, two inputs for one output', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'ES256', 2);
    const dir = workDir();
    const files = ['a', 'b', 'c'].map((n) => {
      writeFileSync(path.join(dir, `${n}.txt`), n);
      return path.join(dir, `${n}.txt`);
    });
    const base = ['--username', signer.username, '--password', signer.password, '--credential', credentialID];
    const oauthOnly = await credentialOf(signer, 'ES256', 1, 'oauth2code');

    // Independent refusals, run side by side (each is a CLI process start).
    mkdirSync(path.join(dir, 'other'));
    writeFileSync(path.join(dir, 'other', 'a.txt'), 'another a');
    const [wrongPin, tooMany, notPdf, badLogin, noOAuthClient, clash] = await Promise.all([
      sign(...base, '--pin', '999999', '--otp', await totp(signer.otpSecret), files[0]!),
      sign(...base, '--pin', '123456', '--otp', '000000', ...files),
      sign(...base, '--pin', '123456', '--otp', '000000', '--format', 'pades', files[0]!),
      sign('--username', signer.username, '--password', 'wrong', files[0]!),
      sign(...base.slice(0, -1), oauthOnly, '--pin', '123456', '--otp', '000000', files[0]!),
      sign(...base, '--pin', '123456', '--otp', '000000', '--out-dir', path.join(dir, 'out'), files[0]!, path.join(dir, 'other', 'a.txt')),
    ]);
    expect(wrongPin.code).toBe(1);
    expect(wrongPin.stderr).toContain('sign: credentials/authorize: invalid_authentication_data (The authentication data is invalid) [HTTP 400]');
    expect(wrongPin.stderr).not.toContain('999999');

    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toContain('sign: 3 documents need 3 signatures, but one authorization of this credential allows at most 2 (multisign)');

    expect(notPdf.code).toBe(1);
    expect(notPdf.stderr).toContain('sign: not a PDF file (no %PDF- header)');

    expect(badLogin.code).toBe(1);
    expect(badLogin.stderr).toMatch(/^\s*sign: auth\/login: \w+ \(.+\) \[HTTP 40\d\]$/m);
    expect(badLogin.stderr).not.toContain('wrong');

    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain(`sign: two inputs would both be written to ${path.join(dir, 'out', 'a.txt.p7s')}`);

    expect(noOAuthClient.code).toBe(1);
    expect(noOAuthClient.stderr).toContain('sign: this credential is authorized through OAuth 2.0 (auth mode oauth2code): give the OAuth client settings (--client-id, --redirect-uri)');
  }, 60_000);
});

describe('npm run sign on a terminal', () => {
  it('asks for the password, the PIN and the OTP without echoing them', async () => {
    const signer = await newSigner();
    await credentialOf(signer, 'ES256');
    const dir = workDir();
    writeFileSync(path.join(dir, 'doc.txt'), 'typed on a terminal');
    const otp = await totp(signer.otpSecret);
    const { code, screen } = await signOnTerminal(['--username', signer.username, path.join(dir, 'doc.txt')], [signer.password, '123456', otp]);
    expect(code, screen).toBe(0);
    expect(screen).toContain('Password: ');
    expect(screen).toMatch(/PIN[^\n]*: /);
    expect(screen).not.toContain(signer.password);
    expect(screen).not.toContain('123456');
    expect(screen).not.toContain(otp);
    expect(readFileSync(path.join(dir, 'doc.txt.p7s')).length).toBeGreaterThan(500);
  }, 60_000);
});

describe('npm run sign with OAuth 2.0 (CSC v2 §8.4)', () => {
  it('--oauth-login and an oauth2code credential: the user signs in and authorizes in Chromium, codes return to the loopback redirect, PKCE exchange, two PDFs under one token', async () => {
    const redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
    const client = await registerClient({ name: 'rssp signing client', redirectUris: [redirectUri] });
    const signer = await newSigner();
    await credentialOf(signer, 'ES256', 2, 'oauth2code');
    const dir = workDir();
    writeFileSync(path.join(dir, 'a.pdf'), classicPdf());
    writeFileSync(path.join(dir, 'b.pdf'), xrefStreamPdf());
    const root = path.join(dir, 'root.pem');

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'client/cli.ts', '--url', server.url, '--oauth-login',
        '--client-id', client.client_id, `--client-secret=${client.client_secret!}`, '--redirect-uri', redirectUri, '--no-browser',
        '--export-root', root, path.join(dir, 'a.pdf'), path.join(dir, 'b.pdf')],
      { cwd: ROOT, env: { ...process.env, CSC_PIN: '', CSC_PASSWORD: '' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)));
    const nextUrl = async (seen: number): Promise<string> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const urls = [...stderr.matchAll(/^(http\S+\/oauth2\/authorize\?\S+)$/gm)].map((m) => m[1]!);
        if (urls.length > seen) return urls[seen]!;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no authorization URL #${seen + 1}:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const browser = await chromium.launch(CHROMIUM);
    try {
      const page = await browser.newPage();
      // 1. Service authorization (scope "service"): the user signs in at the service, not in this application.
      const serviceUrl = await nextUrl(0);
      expect(new URL(serviceUrl).searchParams.get('scope')).toBe('service');
      await approve(page, serviceUrl, signer, redirectUri, { signIn: true });
      // 2. Credential authorization for both hashes, in the same browser session: only PIN + OTP are asked.
      const authUrl = await nextUrl(1);
      const q = new URL(authUrl).searchParams;
      expect(q.get('scope')).toBe('credential');
      expect(q.get('code_challenge_method')).toBe('S256');
      expect(q.get('redirect_uri')).toBe(redirectUri);
      expect(q.get('numSignatures')).toBe('2');
      expect(q.get('hashes')!.split(',')).toHaveLength(2);
      expect(q.get('hashes')).toMatch(/^[A-Za-z0-9_,-]+$/); // base64url, comma-separated (§8.4.2)
      await approve(page, authUrl, signer, redirectUri, { signIn: false });
    } finally {
      await browser.close();
    }
    expect(await exited, stderr).toBe(0);
    expect(JSON.parse(stdout).signed).toHaveLength(2);
    const nss = await nssDbTrusting(root);
    expectValidPades(await pdfsig(path.join(dir, 'a-signed.pdf'), nss));
    expectValidPades(await pdfsig(path.join(dir, 'b-signed.pdf'), nss));
  }, 60_000);
});

describe('the client library', () => {
  it('signs a batch with exactly one credentials/authorize and one signatures/signHash; a PS256 credential gets RSASSA-PSS, verified by openssl cms', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'PS256');
    const calls: string[] = [];
    const counting: typeof fetch = (input, init) => {
      calls.push(String(input).replace(/^.*\/csc\/v2\//, ''));
      return fetch(input, init);
    };
    const api = new CscApi({ baseUrl: server.url, fetch: counting });
    await api.login(signer.username, signer.password);
    const docs = ['one', 'two', 'three'].map((n) => ({ name: `${n}.txt`, data: Buffer.from(`document ${n}`), format: 'cades' as const }));
    const otp = await totp(signer.otpSecret);
    const { outputs, info } = await signDocuments({ api, credentialID, documents: docs, factors: async (objects) => objects.map((o) => ({ id: o.id, value: o.id === 'PIN' ? '123456' : otp })) });
    expect(calls).toEqual(['auth/login', 'credentials/info', 'credentials/authorize', 'signatures/signHash']);
    const dir = workDir();
    const root = path.join(dir, 'root.pem');
    const chain = info.cert!.certificates!;
    writeFileSync(root, `-----BEGIN CERTIFICATE-----\n${chain[chain.length - 1]!.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`);
    for (const [i, o] of outputs.entries()) {
      writeFileSync(path.join(dir, docs[i]!.name), docs[i]!.data);
      writeFileSync(path.join(dir, `${docs[i]!.name}.p7s`), o.data);
      const ok = await cmsVerify(path.join(dir, `${docs[i]!.name}.p7s`), path.join(dir, docs[i]!.name), root);
      expect(ok, ok.out).toMatchObject({ ok: true });
    }
  }, 60_000);

  it('an ES384 credential: the hash follows the curve (SHA-384), and pdfsig says so; a file given twice is signed once', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'ES384');
    const api = new CscApi({ baseUrl: server.url });
    await api.login(signer.username, signer.password);
    const otp = await totp(signer.otpSecret);
    const { outputs, info } = await signDocuments({
      api,
      credentialID,
      // The same file twice: one distinct hash, authorized and signed once, used for both outputs.
      documents: [
        { name: 'p384.pdf', data: classicPdf(), format: 'pades' },
        { name: 'copy.pdf', data: classicPdf(), format: 'pades' },
      ],
      factors: async (objects) => objects.map((o) => ({ id: o.id, value: o.id === 'PIN' ? '123456' : otp })),
    });
    const dir = workDir();
    const chain = info.cert!.certificates!;
    writeFileSync(path.join(dir, 'root.pem'), `-----BEGIN CERTIFICATE-----\n${chain[chain.length - 1]!.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`);
    writeFileSync(path.join(dir, 'p384-signed.pdf'), outputs[0]!.data);
    const out = await pdfsig(path.join(dir, 'p384-signed.pdf'), await nssDbTrusting(path.join(dir, 'root.pem')));
    expectValidPades(out);
    expect(out).toContain('- Signing Hash Algorithm: SHA-384');
    expect(Buffer.from(outputs[1]!.data).equals(Buffer.from(outputs[0]!.data))).toBe(true);
  }, 60_000);

  it('OAuth through oauth2/pushed_authorize when the request would make too long a URL: only client_id and request_uri reach the browser', async () => {
    const redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
    const c = await registerClient({ name: 'rssp signing client (PAR)', redirectUris: [redirectUri] });
    const signer = await newSigner();
    const oauthCredential = await credentialOf(signer, 'ES256', 3, 'oauth2code');
    const api = new CscApi({ baseUrl: server.url });
    await api.login(signer.username, signer.password);
    const docs = ['x', 'y', 'z'].map((n) => ({ name: `${n}.txt`, data: Buffer.from(`pushed ${n}`), format: 'cades' as const }));
    let shown = '';
    const { outputs, info } = await signDocuments({
      api,
      credentialID: oauthCredential,
      documents: docs,
      oauth: async (req) =>
        authorizeCredentialWithOAuth(req, {
          endpoints: await discoverOAuth(api),
          client: { clientId: c.client_id, clientSecret: c.client_secret, redirectUri },
          maxUrlLength: 0,
          openUrl: async (u) => {
            shown = u;
            await approveInBrowser(u, signer, redirectUri);
          },
        }),
    });
    expect([...new URL(shown).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const dir = workDir();
    const chain = info.cert!.certificates!;
    const root = path.join(dir, 'root.pem');
    writeFileSync(root, `-----BEGIN CERTIFICATE-----\n${chain[chain.length - 1]!.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`);
    for (const [i, o] of outputs.entries()) {
      writeFileSync(path.join(dir, docs[i]!.name), docs[i]!.data);
      writeFileSync(path.join(dir, `${docs[i]!.name}.p7s`), o.data);
      const ok = await cmsVerify(path.join(dir, `${docs[i]!.name}.p7s`), path.join(dir, docs[i]!.name), root);
      expect(ok, ok.out).toMatchObject({ ok: true });
    }
  }, 60_000);
});
