// signatures/timestamp (CSC v2 §11.13) against the service started as a process, as npm start runs it: the token
// verifies with `openssl ts -verify` under the development root (ca:cert), the nonce comes back, bad input gets the
// exact CSC errors, info announces the method, and the audit trail's checkpoints carry timestamps that audit:verify
// accepts. The service has a database of this file's own, so that audit:verify sees only this file's trail.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, csc, type Server, startServer, tmpFile } from './harness.ts';

const run = promisify(execFile);
const SHA256 = '2.16.840.1.101.3.4.2.1';
const SHA512 = '2.16.840.1.101.3.4.2.3';

const ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DB_NAME = `rssp_tsa_${process.pid}_${randomBytes(3).toString('hex')}`;

let server: Server;
let bearer: string;
let caPem: string;

async function database(sql: string) {
  const a = new pg.Client({ connectionString: ADMIN_URL });
  await a.connect();
  try {
    await a.query(sql);
  } finally {
    await a.end();
  }
}

beforeAll(async () => {
  await database(`CREATE DATABASE ${DB_NAME}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  server = await startServer({ DATABASE_URL: url.toString(), REDIS_URL: '', AUDIT_CHECKPOINT_RECORDS: '1' });
  const username = `ts-${randomBytes(4).toString('hex')}`;
  expect((await admin(server, 'user:create', '--username', username, '--password', 'correct horse battery')).code).toBe(0);
  const login = await csc(server, 'auth/login', {}, { basic: [username, 'correct horse battery'] });
  expect(login.status).toBe(200);
  bearer = login.body.access_token;
  caPem = (await admin(server, 'ca:cert')).stdout;
  expect(caPem).toMatch(/BEGIN CERTIFICATE/);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await database(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
});

/** openssl ts -verify of the bare token (RFC 3161) against the development root. */
async function opensslVerify(tokenB64: string, digestHex: string, extra: string[] = []): Promise<string> {
  const tok = tmpFile('tok.tsr', Buffer.from(tokenB64, 'base64'));
  const args = ['ts', '-verify', '-digest', digestHex, '-in', tok, '-token_in', '-CAfile', tmpFile('ca.pem', caPem), ...extra];
  return run('openssl', args).then(
    (r) => r.stdout,
    (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
  );
}

describe('signatures/timestamp', () => {
  it('returns a token that openssl verifies under the development CA, carrying the nonce', async () => {
    const digest = createHash('sha256').update('a contract').digest();
    const nonce = randomBytes(16).toString('hex');
    const res = await csc(server, 'signatures/timestamp', { hash: digest.toString('base64'), hashAlgo: SHA256, nonce, clientData: 'tx-1' }, { bearer });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // The TSA certificate taken out of the token, handed to openssl as untrusted (it is checked against the root).
    // A TimeStampToken is a CMS ContentInfo: openssl pkcs7 prints the certificates it carries.
    const tok = tmpFile('t.tsr', Buffer.from(res.body.timestamp, 'base64'));
    const certs = (await run('openssl', ['pkcs7', '-inform', 'DER', '-in', tok, '-print_certs'])).stdout;
    const tsaCert = tmpFile('tsa.pem', certs);
    expect(await opensslVerify(res.body.timestamp, digest.toString('hex'), ['-untrusted', tsaCert])).toMatch(/Verification: OK/);
    expect(await opensslVerify(res.body.timestamp, createHash('sha256').update('another').digest('hex'), ['-untrusted', tsaCert])).not.toMatch(/Verification: OK/);
    const text = (await run('openssl', ['ts', '-reply', '-in', tok, '-token_in', '-text'])).stdout;
    expect(text.replace(/\s/g, '')).toContain(`Nonce:0x${nonce.replace(/^0+/, '').toUpperCase()}`);
    const x509 = (await run('openssl', ['x509', '-in', tsaCert, '-noout', '-text'])).stdout;
    expect(x509).toMatch(/X509v3 Extended Key Usage: critical\s+Time Stamping\s/);
  });

  it('time-stamps a SHA-512 digest given in base64url', async () => {
    const digest = createHash('sha512').update('report').digest();
    const res = await csc(server, 'signatures/timestamp', { hash: digest.toString('base64url'), hashAlgo: SHA512 }, { bearer });
    expect(res.status).toBe(200);
    expect(await opensslVerify(res.body.timestamp, digest.toString('hex'))).toMatch(/Verification: OK/);
  });

  it('refuses a digest of the wrong length, an unknown algorithm and a bad nonce with the §11.13 errors', async () => {
    const digest = createHash('sha256').update('x').digest('base64');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ hash: createHash('sha1').update('x').digest('base64'), hashAlgo: SHA256 }, 'Invalid digest value length'],
      [{ hash: digest, hashAlgo: SHA512 }, 'Invalid digest value length'],
      [{ hash: digest, hashAlgo: '1.3.14.3.2.26' }, 'Invalid parameter hashAlgo'],
      [{ hash: digest, hashAlgo: SHA256, nonce: 'zz' }, 'Invalid parameter nonce'],
      [{ hash: '', hashAlgo: SHA256 }, 'Empty hash parameter'],
      [{ hashAlgo: SHA256 }, 'Missing (or invalid type) string parameter hash'],
    ];
    for (const [body, description] of cases) {
      const res = await csc(server, 'signatures/timestamp', body, { bearer });
      expect({ status: res.status, body: res.body }, JSON.stringify(body)).toEqual({ status: 400, body: { error: 'invalid_request', error_description: description } });
    }
  });

  it('needs a bearer token', async () => {
    const res = await csc(server, 'signatures/timestamp', { hash: createHash('sha256').update('x').digest('base64'), hashAlgo: SHA256 });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'Missing access token' });
  });

  it('is announced by info', async () => {
    const res = await csc(server, 'info', {});
    expect(res.body.methods).toContain('signatures/timestamp');
  });

  it('leaves checkpoints time-stamped, and audit:verify accepts the trail', async () => {
    const verified = await admin(server, 'audit:verify');
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json).toMatchObject({ intact: true });
    const res = await fetch(`${server.url}/admin/audit/export`, {
      method: 'POST',
      headers: { authorization: `Bearer ${readFileSync(path.join(server.dataDir, 'admin-token'), 'utf8').trim()}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const exported = await res.text();
    const lines = exported.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].tsaCertificates).toHaveLength(1);
    const stamped = lines.filter((l) => l.type === 'checkpoint' && typeof l.timestamp === 'string');
    expect(stamped.length).toBeGreaterThan(0);
    const timestampRows = lines.filter((l) => l.type === 'record' && l.event === 'timestamp');
    // One row per token issued (the two above); requests refused by rssp's checks never reached the SAM.
    expect(timestampRows.map((r) => r.result)).toEqual(['ok', 'ok']);
    // An auditor pinning a TSA certificate the service does not use sees every timestamp refused.
    const other = tmpFile('other.pem', caPem.replace('CERTIFICATE-----\n', 'CERTIFICATE-----\nMIIB'));
    const file = tmpFile('audit.jsonl', exported);
    const pinned = await admin(server, 'audit:verify', '--file', file, '--tsa-cert', other);
    expect(pinned.code).toBe(1);
    expect(pinned.stderr).toMatch(/has a timestamp that does not verify: the TSA certificate is not trusted/);
    const trusted = await admin(server, 'audit:verify', '--file', file, '--tsa-cert', tmpFile('ca.pem', caPem));
    expect(trusted.code, trusted.stderr).toBe(0);
  }, 90_000);
});
