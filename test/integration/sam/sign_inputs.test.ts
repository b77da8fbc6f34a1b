// signHash with signInputs (signatures/signDoc, CSC v2 §11.11) in the SAM on a real SoftHSM2 token and PostgreSQL:
// the SAD is checked against the document digests, the key signs the DTBS/R hashes, the SAM itself checks that CMS
// signed attributes hash to their sign input and carry the authorized digest as messageDigest, and the audit row
// records both lists. The token is this file's own.
import { createHash, randomUUID, verify, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareSignerInfo } from '../../../client/cms/signed_data.ts';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { createLogger } from '../../../core/log.ts';
import { SamError, type SignatureActivation } from '../../../core/sam_port.ts';
import { messageDigestOf } from '../../../sam/app/checks/sign_inputs.ts';
import type { Hsm } from '../../../sam/hsm/hsm.ts';
import { openPkcs11Hsm } from '../../../sam/hsm/pkcs11/index.ts';
import { createSamOnHsm } from '../../../sam/assemble.ts';
import { ensureDevToken } from '../../../softhsm-config/dev_token.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ES256 = '1.2.840.10045.4.3.2';
const LABEL = `si-${randomUUID().slice(0, 8)}`;
let dataDir: string;
let hsm: Hsm;
let db: Db;
let sam: SignatureActivation;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sam-si-'));
  const token = await ensureDevToken({ dataDir, label: LABEL });
  hsm = await openPkcs11Hsm({ module: token.module, tokenLabel: LABEL, pin: token.pin, sessions: 2 });
  db = createPool(process.env.DATABASE_URL!, 4);
  await migrate(db);
  sam = await createSamOnHsm({ db, hsm, log: createLogger('silent'), config: { tokenLabel: LABEL, sessions: 2, sadLifetimeSeconds: 300, maxFailures: 5 } });
});

afterAll(async () => {
  await hsm?.close();
  await db?.end();
  await rm(dataDir, { recursive: true, force: true });
});

const ctx = () => ({ requestId: randomUUID() });
const sha256 = (d: Uint8Array | string) => new Uint8Array(createHash('sha256').update(d).digest());

async function setUp() {
  const userId = `u-${randomUUID()}`;
  const credentialID = `c-${randomUUID()}`;
  const created = await sam.createCredential({ ctx: ctx(), credentialID, ownerId: userId, algo: 'EC-P256', pin: '123456', subject: { commonName: 'Doc Signer' }, scal: '2', multisign: 5 });
  const { secret } = await sam.enrollOtp({ ctx: ctx(), userId, accountName: `${userId}@example.org` });
  const activate = async (hashes: Uint8Array[]) =>
    (await sam.activate({ ctx: ctx(), userId, clientId: 'app', credentialID, numSignatures: hashes.length, hashes, hashAlgorithmOID: SHA256, factors: { pin: '123456', otp: await generate({ secret }) } })).sad;
  return { userId, credentialID, certificates: created.certificates, activate };
}

function signedAttributes(chain: Uint8Array[], contentDigest: Uint8Array) {
  return prepareSignerInfo({ chain, scheme: { kind: 'ec', hash: 'sha256' }, contentDigest, signingTime: new Date() });
}

describe('signHash with signInputs', () => {
  it('signs the DTBS/R hash under the SAD of the document digest, and audits both', async () => {
    const s = await setUp();
    const docDigest = sha256('the document');
    const si = signedAttributes(s.certificates, docDigest);
    const sad = await s.activate([docDigest]);
    const requestId = randomUUID();
    const { signatures } = await sam.signHash({
      ctx: { requestId }, sad, userId: s.userId, clientId: 'app', credentialID: s.credentialID, hashes: [docDigest], hashAlgorithmOID: SHA256, signAlgo: ES256,
      signInputs: [{ hash: si.toBeSigned, cmsSignedAttributes: si.signedAttrsDer }],
    });
    // The signature is over the signed attributes (ECDSA with SHA-256 of them), not over the document digest.
    const key = new X509Certificate(s.certificates[0]!).publicKey;
    expect(verify('sha256', si.signedAttrsDer, key, signatures[0]!)).toBe(true);
    const { rows } = await db.query('SELECT result, hashes, detail::jsonb AS detail FROM sam.audit WHERE request_id = $1 AND event = $2', [requestId, 'sign']);
    expect(rows).toEqual([{ result: 'ok', hashes: [Buffer.from(docDigest).toString('base64')], detail: { signInputs: [Buffer.from(si.toBeSigned).toString('base64')], cmsBound: 1 } }]);
  });

  it('refuses signed attributes whose messageDigest is not the authorized digest, without spending the SAD', async () => {
    const s = await setUp();
    const approved = sha256('approved');
    const sad = await s.activate([approved]);
    const forged = signedAttributes(s.certificates, sha256('something else'));
    const call = (input: { hash: Uint8Array; cmsSignedAttributes?: Uint8Array }) =>
      sam.signHash({ ctx: ctx(), sad, userId: s.userId, clientId: 'app', credentialID: s.credentialID, hashes: [approved], hashAlgorithmOID: SHA256, signAlgo: ES256, signInputs: [input] });
    await expect(call({ hash: forged.toBeSigned, cmsSignedAttributes: forged.signedAttrsDer })).rejects.toMatchObject({
      code: 'SAM_DTBSR_MISMATCH', detail: 'the messageDigest of sign input 0 is not the authorized hash',
    });
    // Attributes that do not hash to the sign input are refused too.
    const honest = signedAttributes(s.certificates, approved);
    await expect(call({ hash: sha256('x'), cmsSignedAttributes: honest.signedAttrsDer })).rejects.toMatchObject({
      code: 'SAM_DTBSR_MISMATCH', detail: 'sign input 0 is not the hash of its signed attributes',
    });
    await expect(call({ hash: new Uint8Array(20) })).rejects.toBeInstanceOf(SamError);
    // Nothing was consumed: the honest request still goes through.
    const ok = await call({ hash: honest.toBeSigned, cmsSignedAttributes: honest.signedAttrsDer });
    expect(ok.signatures).toHaveLength(1);
  });

  it('still checks the SAD against the document digests, whatever the sign inputs', async () => {
    const s = await setUp();
    const sad = await s.activate([sha256('approved')]);
    const other = sha256('not approved');
    const si = signedAttributes(s.certificates, other);
    await expect(
      sam.signHash({ ctx: ctx(), sad, userId: s.userId, clientId: 'app', credentialID: s.credentialID, hashes: [other], hashAlgorithmOID: SHA256, signAlgo: ES256, signInputs: [{ hash: si.toBeSigned, cmsSignedAttributes: si.signedAttrsDer }] }),
    ).rejects.toMatchObject({ code: 'SAM_HASH_NOT_AUTHORIZED' });
  });

  it('reads the messageDigest of DER signed attributes, and nothing that is not exactly one', async () => {
    const s = await setUp();
    const d = sha256('x');
    expect(messageDigestOf(signedAttributes(s.certificates, d).signedAttrsDer)).toEqual(d);
    const md = (v: Uint8Array) => new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.9.4' }), new asn1js.Set({ value: [new asn1js.OctetString({ valueHex: v })] })] });
    const set = (...attrs: asn1js.Sequence[]) => new Uint8Array(new asn1js.Set({ value: attrs }).toBER());
    expect(messageDigestOf(set(md(d), md(d)))).toBeNull(); // repeated (RFC 5652 §11.2)
    expect(messageDigestOf(set())).toBeNull(); // missing
    expect(messageDigestOf(new Uint8Array([0x31, 0x05, 0x01]))).toBeNull(); // not DER
  });
});
