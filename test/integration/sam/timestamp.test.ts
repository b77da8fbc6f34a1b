// The SAM's time-stamping authority (CSC v2 §11.13, RFC 3161) on a real SoftHSM2 token and real PostgreSQL: tokens
// that openssl verifies under the development CA, a TSA certificate with the critical id-kp-timeStamping EKU, the
// nonce echoed, refusals with their codes and audit rows; an external TSA (TSA_URL) that is used, and whose wrong
// answers are refused; and checkpoints carrying a timestamp that audit:verify checks.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditExport, type AuditCheckpointLine, type AuditLine } from '../../../core/audit_chain.ts';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { createLogger } from '../../../core/log.ts';
import { SamError, type SignatureActivation } from '../../../core/sam_port.ts';
import { verifyTimestampToken } from '../../../core/timestamp_token.ts';
import { createAuditTrail } from '../../../sam/audit/trail.ts';
import type { Hsm } from '../../../sam/hsm/hsm.ts';
import { openPkcs11Hsm } from '../../../sam/hsm/pkcs11/index.ts';
import { createSamOnHsm } from '../../../sam/assemble.ts';
import { openTsa } from '../../../sam/tsa/open_tsa.ts';
import { remoteTsa } from '../../../sam/tsa/remote_tsa.ts';
import { DEFAULT_TSA_POLICY_OID, type Tsa } from '../../../sam/tsa/tsa.ts';
import { ensureDevToken } from '../../../softhsm-config/dev_token.ts';

const run = promisify(execFile);
const SHA256 = '2.16.840.1.101.3.4.2.1';
const SHA384 = '2.16.840.1.101.3.4.2.2';
const LABEL = `tsa-${randomUUID().slice(0, 8)}`;
const log = createLogger('silent');
let dataDir: string;
let hsm: Hsm;
let db: Db;
let tsa: Tsa;
let sam: SignatureActivation;
let caPem: string;

const pem = (der: Uint8Array) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
const digest = (s: string, alg = 'sha256') => new Uint8Array(createHash(alg).update(s).digest());
const ctx = () => ({ requestId: randomUUID() });
const caller = { userId: `u-${randomUUID()}`, clientId: 'app-ts' };

async function file(name: string, data: string | Uint8Array): Promise<string> {
  const p = path.join(dataDir, `${randomUUID()}-${name}`);
  await writeFile(p, data);
  return p;
}

/** `openssl ts -verify` of a bare token against the development root, the TSA certificate given as untrusted. */
async function opensslVerify(token: Uint8Array, hash: Uint8Array): Promise<string> {
  const tsaCert = verifyTimestampToken(token).ok ? (verifyTimestampToken(token) as { info: { signerCertificate: Uint8Array } }).info.signerCertificate : new Uint8Array();
  const args = ['ts', '-verify', '-digest', Buffer.from(hash).toString('hex'), '-in', await file('tok.tsr', token), '-token_in',
    '-CAfile', await file('ca.pem', caPem), '-untrusted', await file('tsa.pem', pem(tsaCert))];
  const { stdout } = await run('openssl', args).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: `${err.stdout ?? ''}${err.stderr ?? ''}` }));
  return stdout;
}

async function auditRows(requestId: string) {
  const { rows } = await db.query<{ event: string; result: string; error_code: string | null; hashes: string[] | null; detail: string | null }>(
    'SELECT event, result, error_code, hashes, detail FROM sam.audit WHERE request_id = $1',
    [requestId],
  );
  return rows;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sam-tsa-'));
  const token = await ensureDevToken({ dataDir, label: LABEL });
  hsm = await openPkcs11Hsm({ module: token.module, tokenLabel: LABEL, pin: token.pin, sessions: 4 });
  db = createPool(process.env.DATABASE_URL!, 8);
  await migrate(db);
  tsa = await openTsa({ db, hsm, config: { timeoutSeconds: 5 } });
  sam = await createSamOnHsm({ db, hsm, log, tsa, config: { tokenLabel: LABEL, sessions: 4, sadLifetimeSeconds: 300, maxFailures: 5, pinScryptLog2N: 10 } });
  caPem = pem(await sam.caCertificate());
});

afterAll(async () => {
  await hsm?.close();
  await db?.end();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the SAM\'s own TSA', () => {
  it('returns a token that openssl verifies under the development CA, with the nonce echoed and an audit row', async () => {
    const hash = digest('contract.pdf');
    const c = ctx();
    const { timestamp } = await sam.timestamp({ ctx: c, ...caller, hash, hashAlgorithmOID: SHA256, nonce: '00c0ffee1234567890' });
    expect(await opensslVerify(timestamp, hash)).toMatch(/Verification: OK/);
    const verdict = verifyTimestampToken(timestamp, { digest: hash, hashAlgorithmOID: SHA256, trusted: [await sam.caCertificate()] });
    expect(verdict.ok && verdict.info.nonce).toBe(0xc0ffee1234567890n);
    expect(verdict.ok && verdict.info.policy).toBe(DEFAULT_TSA_POLICY_OID);
    const text = (await run('openssl', ['ts', '-reply', '-in', await file('t.tsr', timestamp), '-token_in', '-text'])).stdout;
    expect(text).toMatch(/Nonce: 0xC0FFEE1234567890/);
    expect(text).toMatch(/Accuracy: 0x01 seconds/);
    // DER throughout: the TSTInfo travels in one primitive OCTET STRING, not in the pieces of a constructed one.
    const parsed = (await run('openssl', ['asn1parse', '-inform', 'DER', '-in', await file('t.der', timestamp)])).stdout;
    expect(parsed).toMatch(/:id-smime-ct-TSTInfo\n.*cont \[ 0 \]\s*\n.*prim: OCTET STRING/);
    const rows = await auditRows(c.requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ event: 'timestamp', result: 'ok', hashes: [Buffer.from(hash).toString('base64')] });
    expect(JSON.parse(rows[0]!.detail!)).toMatchObject({ tsa: 'local', nonce: true, serialNumber: verdict.ok && verdict.info.serialNumber });
  });

  it('time-stamps SHA-384 digests too, without a nonce, each token with its own serial number', async () => {
    const hash = digest('report', 'sha384');
    const a = await sam.timestamp({ ctx: ctx(), ...caller, hash, hashAlgorithmOID: SHA384 });
    const b = await sam.timestamp({ ctx: ctx(), ...caller, hash, hashAlgorithmOID: SHA384 });
    expect(await opensslVerify(a.timestamp, hash)).toMatch(/Verification: OK/);
    const [va, vb] = [verifyTimestampToken(a.timestamp), verifyTimestampToken(b.timestamp)];
    expect(va.ok && vb.ok).toBe(true);
    expect(va.ok && va.info.nonce).toBeUndefined();
    expect(va.ok && vb.ok && va.info.serialNumber !== vb.info.serialNumber).toBe(true);
  });

  it('has a certificate whose only extended key usage is id-kp-timeStamping, marked critical', async () => {
    const cert = tsa.certificates()[0]!;
    const text = (await run('openssl', ['x509', '-in', await file('tsa.pem', pem(cert)), '-noout', '-text'])).stdout;
    expect(text).toMatch(/X509v3 Extended Key Usage: critical\s+Time Stamping\s/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\s/);
    const verify = await run('openssl', ['verify', '-CAfile', await file('ca.pem', caPem), '-purpose', 'timestampsign', await file('tsa.pem', pem(cert))]);
    expect(verify.stdout).toMatch(/: OK/);
  });

  it('keeps its key and certificate across a restart', async () => {
    const again = await openTsa({ db, hsm, config: { timeoutSeconds: 5 } });
    expect(Buffer.from(again.certificates()[0]!).equals(Buffer.from(tsa.certificates()[0]!))).toBe(true);
  });

  it('refuses a digest of the wrong length, an unknown algorithm and a nonce that is not hex, each audited', async () => {
    const cases: Array<[Parameters<SignatureActivation['timestamp']>[0]['hash'], string, string | undefined, string]> = [
      [digest('x').slice(0, 31), SHA256, undefined, 'SAM_HASH_LENGTH'],
      [digest('x'), '1.2.3.4', undefined, 'SAM_HASH_ALG_INVALID'],
      [digest('x'), SHA256, 'xyz', 'SAM_NONCE_INVALID'],
    ];
    for (const [hash, hashAlgorithmOID, nonce, code] of cases) {
      const c = ctx();
      const err = await sam.timestamp({ ctx: c, ...caller, hash, hashAlgorithmOID, nonce }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SamError);
      expect((err as SamError).code).toBe(code);
      expect(await auditRows(c.requestId)).toMatchObject([{ event: 'timestamp', result: 'refused', error_code: code }]);
    }
  });
});

/** A tiny RFC 3161 responder over HTTP, answering with the SAM's own TSA code, broken on demand. */
type Mode = 'ok' | 'wrong-nonce' | 'wrong-imprint' | 'rejection' | 'http-error' | 'garbage';
let mode: Mode = 'ok';
let responder: Server;
let responderUrl: string;
const queries: Buffer[] = [];

async function answer(body: Buffer): Promise<{ status: number; body: Uint8Array }> {
  queries.push(body);
  const req = pkijs.TimeStampReq.fromBER(body);
  if (mode === 'http-error') return { status: 500, body: new Uint8Array() };
  if (mode === 'garbage') return { status: 200, body: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]) };
  if (mode === 'rejection') {
    const resp = new pkijs.TimeStampResp({ status: new pkijs.PKIStatusInfo({ status: 2, statusStrings: [new asn1js.Utf8String({ value: 'badAlg' })] }) });
    return { status: 200, body: new Uint8Array(resp.toSchema().toBER()) };
  }
  const sent = Buffer.from(req.messageImprint.hashedMessage.valueBlock.valueHexView);
  const nonce = BigInt(`0x${Buffer.from(req.nonce!.valueBlock.valueHexView).toString('hex')}`);
  const { token } = await tsa.timestamp({
    hashAlgorithmOID: req.messageImprint.hashAlgorithm.algorithmId,
    digest: mode === 'wrong-imprint' ? new Uint8Array(createHash('sha256').update(sent).digest()) : new Uint8Array(sent),
    nonce: mode === 'wrong-nonce' ? nonce + 1n : nonce,
  });
  const resp = new pkijs.TimeStampResp({ status: new pkijs.PKIStatusInfo({ status: 0 }), timeStampToken: pkijs.ContentInfo.fromBER(token) });
  return { status: 200, body: new Uint8Array(resp.toSchema().toBER()) };
}

describe('an external TSA (TSA_URL)', () => {
  let external: SignatureActivation;
  beforeAll(async () => {
    responder = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        expect(req.headers['content-type']).toBe('application/timestamp-query');
        answer(Buffer.concat(chunks)).then(
          (a) => res.writeHead(a.status, { 'Content-Type': 'application/timestamp-reply' }).end(Buffer.from(a.body)),
          () => res.writeHead(500).end(),
        );
      });
    });
    await new Promise<void>((r) => responder.listen(0, '127.0.0.1', r));
    const addr = responder.address() as { port: number };
    responderUrl = `http://127.0.0.1:${addr.port}/tsa`;
    external = await createSamOnHsm({
      db, hsm, log,
      config: { tokenLabel: LABEL, sessions: 4, sadLifetimeSeconds: 300, maxFailures: 5, pinScryptLog2N: 10, tsa: { url: responderUrl, timeoutSeconds: 5 } },
    });
  });
  afterAll(async () => {
    await new Promise((r) => responder?.close(r));
  });

  it('is asked, with the digest and the nonce, and its checked token is returned and audited', async () => {
    mode = 'ok';
    const hash = digest('external');
    const before = queries.length;
    const c = ctx();
    const { timestamp } = await external.timestamp({ ctx: c, ...caller, hash, hashAlgorithmOID: SHA256, nonce: '1234abcd' });
    expect(queries.length).toBe(before + 1);
    const q = pkijs.TimeStampReq.fromBER(queries.at(-1)!);
    expect(Buffer.from(q.messageImprint.hashedMessage.valueBlock.valueHexView).equals(Buffer.from(hash))).toBe(true);
    expect(q.certReq).toBe(true);
    expect(Buffer.from(q.nonce!.valueBlock.valueHexView).toString('hex')).toBe('1234abcd');
    expect(await opensslVerify(timestamp, hash)).toMatch(/Verification: OK/);
    expect(JSON.parse((await auditRows(c.requestId))[0]!.detail!)).toMatchObject({ tsa: 'external' });
  });

  it('sends a nonce of its own when the caller gave none, and checks it', async () => {
    mode = 'ok';
    await external.timestamp({ ctx: ctx(), ...caller, hash: digest('n'), hashAlgorithmOID: SHA256 });
    expect(pkijs.TimeStampReq.fromBER(queries.at(-1)!).nonce).toBeDefined();
    mode = 'wrong-nonce';
    await expect(external.timestamp({ ctx: ctx(), ...caller, hash: digest('n'), hashAlgorithmOID: SHA256 })).rejects.toMatchObject({
      code: 'SAM_TSA_RESPONSE_INVALID',
    });
  });

  it('refuses a token with another nonce or another imprint, and a rejection, an HTTP error or garbage', async () => {
    const expectations: Array<[Mode, string, RegExp]> = [
      ['wrong-nonce', 'SAM_TSA_RESPONSE_INVALID', /does not echo the nonce/],
      ['wrong-imprint', 'SAM_TSA_RESPONSE_INVALID', /message imprint is not the digest/],
      ['rejection', 'SAM_TSA_UNAVAILABLE', /refused the request \(status 2: badAlg\)/],
      ['http-error', 'SAM_TSA_UNAVAILABLE', /HTTP 500/],
      ['garbage', 'SAM_TSA_RESPONSE_INVALID', /not a TimeStampResp|sent no token/],
    ];
    for (const [m, code, detail] of expectations) {
      mode = m;
      const c = ctx();
      const err = (await external.timestamp({ ctx: c, ...caller, hash: digest(m), hashAlgorithmOID: SHA256, nonce: 'ab' }).catch((e: unknown) => e)) as SamError;
      expect(err, m).toBeInstanceOf(SamError);
      expect(err.code, m).toBe(code);
      expect(err.detail, m).toMatch(detail);
      expect(await auditRows(c.requestId)).toMatchObject([{ event: 'timestamp', result: 'error', error_code: code }]);
    }
  });

  it('fails closed when the TSA cannot be reached', async () => {
    const dead = remoteTsa({ url: 'http://127.0.0.1:9/tsa', timeoutMs: 2000 });
    await expect(dead.timestamp({ hashAlgorithmOID: SHA256, digest: digest('x') })).rejects.toMatchObject({ code: 'SAM_TSA_UNAVAILABLE' });
  });
});

describe('checkpoints anchored by a timestamp', () => {
  async function exportWithCheckpoint(): Promise<AuditLine[]> {
    const trail = await createAuditTrail({
      db, hsm, log, tsa,
      config: { checkpointRecords: 1_000_000, checkpointMinutes: 1440, anchorFile: path.join(dataDir, 'anchors.jsonl') },
    });
    try {
      await sam.timestamp({ ctx: ctx(), ...caller, hash: digest(randomUUID()), hashAlgorithmOID: SHA256 });
      const lines: AuditLine[] = [];
      for await (const l of trail.export({})) lines.push(l);
      return lines;
    } finally {
      await trail.close();
    }
  }

  it('carry a token over their statement that verifies, and audit:verify reports a tampered one', async () => {
    const lines = await exportWithCheckpoint();
    const header = lines[0] as { tsaCertificates?: string[] };
    expect(header.tsaCertificates).toEqual([Buffer.from(tsa.certificates()[0]!).toString('base64')]);
    // Other test files share the database (and their services have TSAs of their own tokens): only the checkpoints
    // stamped by this TSA are looked at.
    const ours = Buffer.from(tsa.certificates()[0]!);
    const stamped = lines.filter(
      (l): l is AuditCheckpointLine =>
        l.type === 'checkpoint' && l.timestamp !== undefined && Buffer.from((verifyTimestampToken(Buffer.from(l.timestamp, 'base64')) as { info?: { signerCertificate: Uint8Array } }).info?.signerCertificate ?? []).equals(ours),
    );
    expect(stamped.length).toBeGreaterThan(0);
    const newest = stamped.at(-1)!;
    const mine = (ls: AuditLine[], opts = {}) => verifyAuditExport(ls, opts).problems.filter((p) => p.seq === newest.seq);
    expect(mine(lines)).toEqual([]);

    // Another checkpoint's token (valid, but over another statement), and a token with one byte changed.
    const other = await sam.timestamp({ ctx: ctx(), ...caller, hash: digest('not this checkpoint'), hashAlgorithmOID: SHA256 });
    const swapped = lines.map((l) => (l === newest ? { ...newest, timestamp: Buffer.from(other.timestamp).toString('base64') } : l));
    expect(mine(swapped)).toContainEqual({
      kind: 'checkpoint',
      seq: newest.seq,
      message: `checkpoint at seq ${newest.seq} has a timestamp that does not verify: the message imprint is not the digest that was sent`,
    });
    const bytes = Buffer.from(newest.timestamp!, 'base64');
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0x01; // inside the ECDSA signature value
    const flipped = lines.map((l) => (l === newest ? { ...newest, timestamp: bytes.toString('base64') } : l));
    expect(verifyAuditExport(flipped).intact).toBe(false);
    expect(mine(flipped).map((p) => p.message)).toContainEqual(expect.stringMatching(new RegExp(`checkpoint at seq ${newest.seq} has a timestamp that does not verify`)));

    // A timestamp made by a TSA the auditor does not trust.
    const untrusted = mine(lines, { trustedTsaCertificates: [Buffer.from(await sam.caCertificate()).reverse().toString('base64')] });
    expect(untrusted.map((p) => p.message)).toContainEqual(`checkpoint at seq ${newest.seq} has a timestamp that does not verify: the TSA certificate is not trusted`);

    // Dropped from the database, still in the anchor file.
    const dropped = lines.map((l) => (l === newest ? { ...newest, timestamp: undefined } : l));
    expect(mine(dropped, { anchors: [newest] }).map((p) => p.message)).toContainEqual(
      `checkpoint at seq ${newest.seq} lost or changed its timestamp: it differs from its anchor outside the database`,
    );
  });

  it('are stored with the token in the database', async () => {
    await exportWithCheckpoint();
    const { rows } = await db.query<{ seq: string; timestamp_token: Buffer | null }>(
      'SELECT seq::text, timestamp_token FROM sam.audit_checkpoints WHERE timestamp_token IS NOT NULL ORDER BY seq DESC LIMIT 1',
    );
    expect(rows).toHaveLength(1);
    expect(verifyTimestampToken(new Uint8Array(rows[0]!.timestamp_token!)).ok).toBe(true);
  });
});
