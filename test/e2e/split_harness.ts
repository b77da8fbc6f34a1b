// Split mode on loopback, as the README runs it: certificates from `tls:dev`, one SAM process (SERVICES=sam) and api
// processes (SERVICES=api) reaching it over mutual TLS. Used by the split-mode and the fault tests.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { databaseWithRoles } from '../db_fixtures.ts';
import { admin, csc, freePort, type Server, startServer, totp } from './harness.ts';

export const SHA256 = '2.16.840.1.101.3.4.2.1';
export const ES256 = '1.2.840.10045.4.3.2';

/** tls:dev as an operator runs it: offline, no service needed. */
export async function makeTls(dir: string): Promise<string> {
  const r = await admin({ url: 'http://127.0.0.1:1', env: { ...process.env } } as Server, 'tls:dev', '--out', dir);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

export const tlsFile = (dir: string, name: string) => path.join(dir, name);

export type Split = { tlsDir: string; samPort: number; samEnv: Record<string, string>; apiEnv: Record<string, string> };

/** The environment of both roles; the SAM and every api instance are then started with startServer. */
export async function splitEnv(opts: { samDatabaseUrl: string; apiDatabaseUrl: string; redisUrl: string; tlsDir?: string }): Promise<Split> {
  const tlsDir = opts.tlsDir ?? (await makeTls(path.join(mkdtempSync(path.join(os.tmpdir(), 'rssp-tls-')), 'tls')));
  const samPort = await freePort();
  return {
    tlsDir,
    samPort,
    samEnv: {
      SERVICES: 'sam',
      DATABASE_URL: opts.samDatabaseUrl,
      SAM_LISTEN: `127.0.0.1:${samPort}`,
      SAM_TLS_CA: tlsFile(tlsDir, 'ca.pem'),
      SAM_TLS_CERT: tlsFile(tlsDir, 'sam.pem'),
      SAM_TLS_KEY: tlsFile(tlsDir, 'sam-key.pem'),
      LOG_LEVEL: 'info',
    },
    apiEnv: {
      SERVICES: 'api',
      DATABASE_URL: opts.apiDatabaseUrl,
      REDIS_URL: opts.redisUrl,
      // One deployment, one key space: its instances count the same throttling windows and hear each other's token
      // revocations (authz/token_cache.ts).
      REDIS_KEY_PREFIX: `rssp-e2e-split-${samPort}:`,
      SAM_URL: `https://127.0.0.1:${samPort}`,
      SAM_TLS_CA: tlsFile(tlsDir, 'ca.pem'),
      SAM_TLS_CERT: tlsFile(tlsDir, 'api.pem'),
      SAM_TLS_KEY: tlsFile(tlsDir, 'api-key.pem'),
    },
  };
}

/** The SAM is started once its log says it listens: it has no CSC API to ask. */
export function startSam(env: Record<string, string>, opts: { dataDir?: string; keepData?: boolean } = {}): Promise<Server> {
  return startServer(env, { ...opts, readyWhen: /SAM listening/ });
}

export type Signer = { username: string; password: string; secret: string; credentialID: string; pin: string };

export async function signer(server: Server, flags: string[] = ['--algo', 'ES256']): Promise<Signer> {
  const username = `sp${randomBytes(4).toString('hex')}`;
  const password = 'pw-split-1';
  const pin = '246810';
  expect((await admin(server, 'user:create', '--username', username, '--password', password)).code).toBe(0);
  const { secret } = (await admin(server, 'otp:enroll', '--username', username)).json;
  const created = await admin(server, 'credential:create', '--username', username, '--pin', pin, ...flags);
  expect(created.code, created.stderr).toBe(0);
  return { username, password, pin, secret: secret as string, credentialID: created.json.credentialID as string };
}

export async function login(server: Server, s: Signer): Promise<string> {
  const r = await csc(server, 'auth/login', {}, { basic: [s.username, s.password] });
  expect(r.status).toBe(200);
  return r.body.access_token as string;
}

export const digests = (label: string, n: number) => Array.from({ length: n }, (_, i) => createHash('sha256').update(`${label} ${i}`).digest('base64'));

/** A SAD for exactly these hashes. */
export async function authorize(server: Server, s: Signer, bearer: string, hashes: string[]): Promise<string> {
  const r = await csc(server, 'credentials/authorize', {
    credentialID: s.credentialID, numSignatures: hashes.length, hashes, hashAlgorithmOID: SHA256,
    authData: [{ id: 'PIN', value: s.pin }, { id: 'OTP', value: await totp(s.secret) }],
  }, { bearer });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.SAD as string;
}

/** The common shape of a split test: a database with the deployment's roles, development TLS, one SAM process and one
 *  api instance on loopback. `samEnv` adds to the SAM's environment (a setting only the SAM decides). stop() ends
 *  both processes and removes the database and the files. */
export async function startSplitPair(
  label: string,
  opts: { samEnv?: Record<string, string>; apiEnv?: Record<string, string> } = {},
): Promise<{ sam: Server; api: Server; stop(): Promise<void> }> {
  const base = mkdtempSync(path.join(os.tmpdir(), `rssp-${label}-`));
  const db = await databaseWithRoles();
  const split = await splitEnv({ samDatabaseUrl: db.samUrl, apiDatabaseUrl: db.apiUrl, redisUrl: process.env.REDIS_URL!, tlsDir: await makeTls(path.join(base, 'tls')) });
  const sam = await startSam({ ...split.samEnv, ...opts.samEnv });
  const api = await startServer({ ...split.apiEnv, ...opts.apiEnv });
  return {
    sam,
    api,
    async stop() {
      await api.stop();
      await sam.stop();
      await db.drop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
