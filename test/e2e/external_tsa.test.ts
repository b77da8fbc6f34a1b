// TSA_URL (CSC v2 §11.13 "or by a Time Stamping Authority connected to it"): the service started with an external
// RFC 3161 TSA, here `openssl ts -reply` behind a tiny HTTP responder of the test with a CA and TSA certificate of its
// own. The token returned by signatures/timestamp is openssl's (it verifies under the test's CA, not the service's),
// and a response for another request (wrong imprint and nonce) or no response at all is refused, never passed on.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, csc, type Server, startServer } from './harness.ts';

const run = promisify(execFile);
const SHA256 = '2.16.840.1.101.3.4.2.1';
const POLICY = '1.3.6.1.4.1.99999.3161.1';

let dir: string;
let responder: HttpServer;
let server: Server;
let bearer: string;
/** 'ok': answer the query received; 'other': answer a query for another digest (another imprint and nonce). */
let mode: 'ok' | 'other' = 'ok';
let answered = 0;

const f = (name: string) => path.join(dir, name);

async function openssl(...args: string[]) {
  return run('openssl', args, { cwd: dir });
}

/** A test CA, and a TSA certificate from it with the critical timeStamping EKU (RFC 3161 §2.3). */
async function makeTsa() {
  await openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('ca.key'));
  await openssl('req', '-x509', '-new', '-key', f('ca.key'), '-subj', '/CN=External TSA test CA', '-days', '2', '-out', f('ca.pem'));
  await openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('tsa.key'));
  await openssl('req', '-new', '-key', f('tsa.key'), '-subj', '/CN=External TSA', '-out', f('tsa.csr'));
  writeFileSync(f('ext.cnf'), 'extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n');
  await openssl('x509', '-req', '-in', f('tsa.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext.cnf'), '-out', f('tsa.pem'));
  writeFileSync(f('serial'), '01\n');
  writeFileSync(
    f('tsa.cnf'),
    [
      '[ tsa ]', 'default_tsa = tsa1', '[ tsa1 ]', `serial = ${f('serial')}`, 'crypto_device = builtin', `signer_cert = ${f('tsa.pem')}`,
      `signer_key = ${f('tsa.key')}`, 'signer_digest = sha256', `default_policy = ${POLICY}`, 'digests = sha256, sha384, sha512',
      'accuracy = secs:1', 'ordering = no', 'tsa_name = no', 'ess_cert_id_alg = sha256', '',
    ].join('\n'),
  );
}

async function reply(query: Buffer): Promise<Buffer> {
  const id = randomBytes(4).toString('hex');
  let q = f(`${id}.tsq`);
  writeFileSync(q, query);
  if (mode === 'other') {
    q = f(`${id}-other.tsq`);
    await openssl('ts', '-query', '-digest', createHash('sha256').update('another document').digest('hex'), '-sha256', '-cert', '-out', q);
  }
  await openssl('ts', '-reply', '-config', f('tsa.cnf'), '-queryfile', q, '-out', f(`${id}.tsr`));
  answered++;
  return readFileSync(f(`${id}.tsr`));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rssp-ext-tsa-'));
  await makeTsa();
  responder = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers['content-type'] !== 'application/timestamp-query') return void res.writeHead(415).end();
      reply(Buffer.concat(chunks)).then(
        (body) => res.writeHead(200, { 'Content-Type': 'application/timestamp-reply' }).end(body),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((r) => responder.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(responder.address() as { port: number }).port}/tsa`;
  server = await startServer({ REDIS_URL: '', TSA_URL: url, TSA_TIMEOUT_SECONDS: '5' });
  const username = `ext-${randomBytes(4).toString('hex')}`;
  expect((await admin(server, 'user:create', '--username', username, '--password', 'correct horse battery')).code).toBe(0);
  bearer = (await csc(server, 'auth/login', {}, { basic: [username, 'correct horse battery'] })).body.access_token;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await new Promise((r) => (responder ? responder.close(r) : r(undefined)));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('TSA_URL', () => {
  it('makes signatures/timestamp return the external TSA\'s token, checked, with the nonce', async () => {
    mode = 'ok';
    const before = answered;
    const digest = createHash('sha256').update('a document').digest();
    const res = await csc(server, 'signatures/timestamp', { hash: digest.toString('base64'), hashAlgo: SHA256, nonce: 'abcdef0123456789' }, { bearer });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(answered).toBe(before + 1);
    writeFileSync(f('got.tsr'), Buffer.from(res.body.timestamp, 'base64'));
    const verified = await openssl('ts', '-verify', '-digest', digest.toString('hex'), '-in', f('got.tsr'), '-token_in', '-CAfile', f('ca.pem'), '-untrusted', f('tsa.pem'));
    expect(verified.stdout).toMatch(/Verification: OK/);
    const text = (await openssl('ts', '-reply', '-in', f('got.tsr'), '-token_in', '-text')).stdout;
    expect(text).toContain(`Policy OID: ${POLICY}`);
    expect(text).toMatch(/Nonce: 0xABCDEF0123456789/);
  });

  it('refuses a response for another request (imprint and nonce differ) with 500, passing nothing on', async () => {
    mode = 'other';
    try {
      const res = await csc(server, 'signatures/timestamp', { hash: createHash('sha256').update('mine').digest('base64'), hashAlgo: SHA256, nonce: '01' }, { bearer });
      expect({ status: res.status, body: res.body }).toEqual({
        status: 500,
        body: { error: 'server_error', error_description: 'The time-stamping authority returned a token that failed verification' },
      });
    } finally {
      mode = 'ok';
    }
  });

  it('answers 503 while the TSA cannot be reached', async () => {
    await new Promise((r) => responder.close(r));
    const res = await csc(server, 'signatures/timestamp', { hash: createHash('sha256').update('x').digest('base64'), hashAlgo: SHA256 }, { bearer });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'The time-stamping authority is temporarily unavailable' },
    });
  });
});
