// The kit's reader of RFC 3161 tokens (conformance/timestamp_token.ts) on tokens made by `openssl ts -reply` in the
// test: imprint, nonce and time read back, the signature verified under the carried TSA certificate, and a token
// whose signature or content was changed reported, not accepted.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTimeStampingCertificate, readTimeStampToken, TokenFormatError } from '../../../conformance/timestamp_token.ts';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kit-tst-'));
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'tsa.key'),
    '-out', path.join(dir, 'tsa.pem'), '-subj', '/CN=Kit Test TSA', '-days', '2', '-addext', 'extendedKeyUsage=critical,timeStamping']);
  await writeFile(path.join(dir, 'serial'), '01\n');
  await writeFile(path.join(dir, 'ts.cnf'), `[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = ${dir}/serial\nsigner_cert = ${dir}/tsa.pem\nsigner_key = ${dir}/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\ness_cert_id_alg = sha256\ness_cert_id_chain = no\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function token(digest: Buffer, nonce?: string): Promise<Buffer> {
  const q = path.join(dir, 'q.tsq');
  await run('openssl', ['ts', '-query', '-digest', digest.toString('hex'), '-sha256', '-cert', ...(nonce ? [] : ['-no_nonce']), '-out', q]);
  const out = path.join(dir, 'r.tst');
  await run('openssl', ['ts', '-reply', '-config', path.join(dir, 'ts.cnf'), '-queryfile', q, '-token_out', '-out', out]);
  return readFile(out);
}

describe("the kit's RFC 3161 token reader", () => {
  it('reads the imprint, the nonce and the time, and verifies the signature under the TSA certificate it carries', async () => {
    const digest = createHash('sha256').update('document').digest();
    const view = readTimeStampToken(await token(digest, 'yes'));
    expect(view.hashAlgorithm).toBe('2.16.840.1.101.3.4.2.1');
    expect(view.hashedMessage.equals(digest)).toBe(true);
    expect(view.nonce).toMatch(/^[0-9a-f]+$/);
    expect(view.genTime).toMatch(/^\d{14}Z$/);
    expect(view.signature.ok).toBe(true);
    if (view.signature.ok) {
      expect(view.signature.signer.subject).toBe('CN=Kit Test TSA');
      expect(isTimeStampingCertificate(view.signature.signer)).toBe(true);
    }
    expect(readTimeStampToken(await token(digest)).nonce).toBeUndefined();
  });

  it('reports a token whose signature or TSTInfo was changed, and refuses bytes that are no token', async () => {
    const good = await token(createHash('sha256').update('x').digest());
    const sigFlipped = Buffer.from(good);
    sigFlipped[sigFlipped.length - 3]! ^= 0x01; // inside the SignerInfo's signature, the last element
    expect(readTimeStampToken(sigFlipped).signature).toEqual({ ok: false, reason: 'the signature verifies under none of the certificates the token carries' });
    // The hashed message sits inside the TSTInfo: changing it breaks the message-digest attribute.
    const imprintAt = good.indexOf(createHash('sha256').update('x').digest());
    const contentChanged = Buffer.from(good);
    contentChanged[imprintAt]! ^= 0x01;
    expect(readTimeStampToken(contentChanged).signature).toEqual({ ok: false, reason: 'the message-digest attribute does not match the TSTInfo' });
    expect(() => readTimeStampToken(Buffer.from('not a token'))).toThrow(TokenFormatError);
    expect(() => readTimeStampToken(good.subarray(0, good.length - 1))).toThrow(TokenFormatError);
  });
});
