// The signing client takes a B-T token only when it stamps the digest of the signature value under the hash asked
// and carries the nonce sent (client/cms/timestamp.ts; CSC v2 §11.13). Tokens made by `openssl ts -reply` here.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signatureTimestamp, TimestampError, type TimestampSource } from '../../../client/cms/timestamp.ts';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'client-tst-'));
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'tsa.key'),
    '-out', path.join(dir, 'tsa.pem'), '-subj', '/CN=Client Test TSA', '-days', '2', '-addext', 'extendedKeyUsage=critical,timeStamping']);
  await writeFile(path.join(dir, 'serial'), '01\n');
  await writeFile(path.join(dir, 'ts.cnf'), `[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = ${dir}/serial\nsigner_cert = ${dir}/tsa.pem\nsigner_key = ${dir}/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256, sha384\ness_cert_id_alg = sha256\ness_cert_id_chain = no\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A TSA that stamps what `mangle` makes of the request (by default: the digest and hash asked). */
function tsa(mangle: (c: { hash: Uint8Array; hashAlgo: string; nonce: string }) => { hex: string; alg: 'sha256' | 'sha384'; nonce?: string } = (c) => ({ hex: Buffer.from(c.hash).toString('hex'), alg: c.hashAlgo.endsWith('.2.2') ? 'sha384' : 'sha256', nonce: c.nonce })): TimestampSource {
  return async (c) => {
    const m = mangle(c);
    const q = path.join(dir, 'q.tsq');
    // `openssl ts -query` picks a nonce of its own, never the client's: such a token can only fail the nonce check
    // (or an earlier one). The accepted case runs end to end in test/e2e/client_sign.test.ts.
    await run('openssl', ['ts', '-query', '-digest', m.hex, `-${m.alg}`, '-cert', ...(m.nonce ? [] : ['-no_nonce']), '-out', q]);
    const out = path.join(dir, 'r.tst');
    await run('openssl', ['ts', '-reply', '-config', path.join(dir, 'ts.cnf'), '-queryfile', q, '-token_out', '-out', out]);
    return new Uint8Array(await readFile(out));
  };
}

const value = new Uint8Array(Buffer.from('a signature value'));

it('refuses a token over another digest, under another hash, or without the nonce sent', async () => {
  const other = createHash('sha256').update('something else').digest('hex');
  await expect(signatureTimestamp(tsa((c) => ({ hex: other, alg: 'sha256', nonce: c.nonce })), value, 'sha256')).rejects.toThrow(new TimestampError('the time-stamp token stamps another digest'));
  const sha384 = createHash('sha384').update(value).digest('hex');
  await expect(signatureTimestamp(tsa((c) => ({ hex: sha384, alg: 'sha384', nonce: c.nonce })), value, 'sha256')).rejects.toThrow(new TimestampError('the time-stamp token is over another hash algorithm'));
  // openssl's own nonce is never ours; with none at all, the token lacks it too.
  await expect(signatureTimestamp(tsa(), value, 'sha256')).rejects.toThrow(new TimestampError('the time-stamp token does not carry the nonce sent'));
  await expect(signatureTimestamp(tsa((c) => ({ hex: Buffer.from(c.hash).toString('hex'), alg: 'sha256' })), value, 'sha256')).rejects.toThrow(new TimestampError('the time-stamp token does not carry the nonce sent'));
  await expect(signatureTimestamp(async () => new Uint8Array(Buffer.from('no token')), value, 'sha256')).rejects.toThrow(TimestampError);
});
