// Black-box harness: the service runs as its own process (`node --import tsx main.ts`, as `npm start` does),
// configured only through the environment; tests speak HTTP to it and drive the admin CLI as an operator would.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { expect } from 'vitest';
import { type CscOperation, validateResponse } from '../../openapi/validate.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

export type Server = { url: string; dataDir: string; env: NodeJS.ProcessEnv; pid: number; exitCode(): number | null; stop(): Promise<void>;
  /** SIGKILL, as a crash: nothing is closed, DATA_DIR is kept (start again with opts.dataDir). */
  kill(): Promise<void>;
  output(): string };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function answersInfo(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/csc/v2/info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return res.status === 200;
  } catch {
    return false; // not listening yet
  }
}

export async function startServer(
  extraEnv: Record<string, string> = {},
  opts: {
    dataDir?: string;
    keepData?: boolean;
    /** Node arguments; default: the sources through tsx, as npm start. */
    entry?: string[];
    /** Started once this appears in the output (a process with no CSC API, the SAM alone); default: `info` answers. */
    readyWhen?: RegExp;
  } = {},
): Promise<Server> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'rssp-e2e-'));
  const port = await freePort();
  // The service finds its own token under DATA_DIR unless a caller names one: the runner's SOFTHSM2_CONF is not it.
  const { SOFTHSM2_CONF: _runnerToken, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // Each server its own Redis key space: throttling windows of other runs (same IP, 127.0.0.1) never leak in.
    REDIS_KEY_PREFIX: `rssp-e2e-${path.basename(dataDir)}:`,
    // Each server its own job queue too: the servers of a run share one database, but each signs with its own SAM.
    // Instances meant to share their jobs (cluster, split) name one queue in extraEnv.
    ASYNC_QUEUE: `rssp-e2e-${path.basename(dataDir)}`,
    // PINs hashed at scrypt N = 2^10 instead of 2^15: every credential creation and PIN check of the suite paid tens
    // of milliseconds (more on a loaded machine) for a cost the e2e tests do not examine; config.test.ts and
    // credentials.test.ts check the cost itself. Production refuses it, so a production server keeps the default.
    ...(extraEnv.NODE_ENV === 'production' ? {} : { PIN_SCRYPT_LOG2N: '10' }),
    ...extraEnv,
  };
  const child: ChildProcess = spawn(process.execPath, opts.entry ?? ['--import', 'tsx', 'main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  // extraEnv may name the port (a server started again where it was).
  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${out}`);
    if (opts.readyWhen ? opts.readyWhen.test(out) : await answersInfo(url)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    dataDir,
    env,
    pid: child.pid!,
    exitCode: () => child.exitCode,
    output: () => out,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Chains the audit rows committed so far, as the service's own sealer does moments after each commit
 * (sam.audit_seal(), sam/audit/seal.ts). A row just written may have no seq yet in sam.audit_chained: a test that
 * orders audit rows by seq seals first. `query` runs one statement on the service's database and returns its rows.
 */
export async function sealAuditRows(query: (text: string) => Promise<Array<{ n: number }>>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const [row] = await query('SELECT sam.audit_seal() AS n');
    if (row!.n >= 0) return; // -1: the service's sealer holds the lock; it may have started before our rows committed
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('sam.audit_seal() stayed locked for 2 s');
}

/**
 * The admin API over HTTP (admin/README.md), with the server's admin token: the same operations as `npm run admin`
 * without a process start each (the CLI has its own tests). Fails the test unless the status is `status`, or any
 * 2xx when none is named; returns the JSON answer.
 */
export async function adminApi(server: Server, method: string, route: string, body?: unknown, status?: number): Promise<any> {
  const token = readFileSync(path.join(server.dataDir, 'admin-token'), 'utf8').trim();
  const res = await fetch(`${server.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (status === undefined) expect(res.status, JSON.stringify(json)).toBeLessThan(300);
  else expect(res.status, JSON.stringify(json)).toBe(status);
  return json;
}

/** The password of every user newUser() creates. */
export const PASSWORD = 'correct horse battery';

export type TestUser = { username: string; password: string; otpSecret: string; userId: string };

/** A user (admin API, 201) named `prefix-<random>`, enrolled for TOTP unless `otp: false`; `fields` go with the
 *  creation (name, email, phone), or are made from the username. */
export async function newUser(
  server: Server,
  prefix: string,
  fields: Record<string, unknown> | ((username: string) => Record<string, unknown>) = {},
  opts: { otp?: boolean } = {},
): Promise<TestUser> {
  const username = `${prefix}-${randomBytes(4).toString('hex')}`;
  const extra = typeof fields === 'function' ? fields(username) : fields;
  const user = await adminApi(server, 'POST', '/admin/users', { username, password: PASSWORD, ...extra }, 201);
  const otpSecret = opts.otp === false ? '' : (await adminApi(server, 'POST', `/admin/users/${username}/otp`, {}, 201)).secret;
  return { username, password: PASSWORD, otpSecret, userId: user.userId };
}

/** A credential of `username` (admin API, 201): `fields` as the route takes them (algo, pin, multisign, authMode,
 *  otp, ...). Returns its credentialID. */
export async function newCredential(server: Server, username: string, fields: Record<string, unknown>): Promise<string> {
  return (await adminApi(server, 'POST', `/admin/users/${username}/credentials`, fields, 201)).credentialID;
}

/** CSC v2 auth/login with the user's password; fails the test unless it answers 200. Returns the access token. */
export async function login(server: Server, username: string, password = PASSWORD): Promise<string> {
  const res = await csc(server, 'auth/login', {}, { basic: [username, password] });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access_token as string;
}

/** The CLI's secret flags: never on its command line, typed at its prompt or given on stdin (admin/cli.ts). */
const SECRET_FLAGS = new Set(['--password', '--pin']);

/**
 * `npm run admin -- <args>` against the server, as an operator runs it. Tests write secrets as flags for
 * readability (`--password p`); they are taken out of the arguments and given on standard input, one line each.
 */
export async function admin(server: Server, ...args: string[]) {
  const argv: string[] = [];
  const secrets: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (SECRET_FLAGS.has(args[i]!)) secrets.push(args[++i]!);
    else argv.push(args[i]!);
  }
  return new Promise<{ code: number; stdout: string; stderr: string; json: any }>((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'admin/cli.ts', ...argv],
      { cwd: ROOT, env: { ...server.env, ADMIN_URL: server.url } },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        const t = stdout.trim();
        resolve({ code, stdout, stderr, json: code === 0 && (t.startsWith('{') || t.startsWith('[')) ? JSON.parse(stdout) : undefined });
      },
    );
    child.stdin!.end(secrets.map((v) => `${v}\n`).join(''));
  });
}

export type CscResponse = { status: number; body: any; headers: Headers };

/** POST a CSC method; every response (success or error) is checked against our OpenAPI document. */
export async function csc(
  server: Server,
  op: CscOperation,
  body: unknown,
  auth?: { bearer?: string; basic?: [string, string] },
): Promise<CscResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth?.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth?.basic) headers.authorization = `Basic ${Buffer.from(auth.basic.join(':')).toString('base64')}`;
  const res = await fetch(`${server.url}/csc/v2/${op}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status === 204) {
    expect(text).toBe('');
    return { status: 204, body: undefined, headers: res.headers };
  }
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const parsed = JSON.parse(text);
  expect(validateResponse(op, res.status, parsed), `${op} ${res.status} ${text}`).toEqual([]);
  return { status: res.status, body: parsed, headers: res.headers };
}

/** A TOTP code for the step `offset` steps from now (the SAM accepts ±1 step and each step once). */
export async function totp(secret: string, offset = 0): Promise<string> {
  // Near the end of a step, wait for the next one: a code of the previous step (offset -1) that crossed a step
  // boundary on its way to the server would fall out of the ±1 window.
  const intoStep = (Date.now() / 1000) % 30;
  if (intoStep > 28) await new Promise((r) => setTimeout(r, (30 - intoStep) * 1000 + 50));
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offset * 30 });
}

export function tmpFile(name: string, data: string | Uint8Array): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rssp-ossl-'));
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
}

export function pem(der: Uint8Array | string, label = 'CERTIFICATE'): string {
  const b64 = typeof der === 'string' ? der : Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

/** Verifies a signature over a digest with openssl, under the public key of `certPem`. */
export async function opensslVerify(opts: {
  certPem: string;
  digest: Buffer;
  signature: Buffer;
  hash: 'sha256' | 'sha384' | 'sha512';
  pss?: { saltLength: number };
}): Promise<boolean> {
  const cert = tmpFile('cert.pem', opts.certPem);
  const pub = tmpFile('pub.pem', (await run('openssl', ['x509', '-in', cert, '-pubkey', '-noout'])).stdout);
  const digest = tmpFile('digest.bin', opts.digest);
  const sig = tmpFile('sig.bin', opts.signature);
  const args = ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-in', digest, '-sigfile', sig, '-pkeyopt', `digest:${opts.hash}`];
  if (opts.pss) args.push('-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', `rsa_pss_saltlen:${opts.pss.saltLength}`);
  try {
    const { stdout } = await run('openssl', args);
    return /Signature Verified Successfully/.test(stdout);
  } catch {
    return false;
  }
}

export async function opensslVerifyChain(rootPem: string, leafPem: string): Promise<boolean> {
  try {
    const { stdout } = await run('openssl', ['verify', '-CAfile', tmpFile('root.pem', rootPem), tmpFile('leaf.pem', leafPem)]);
    return /: OK/.test(stdout);
  } catch {
    return false;
  }
}
