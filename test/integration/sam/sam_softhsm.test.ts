// The SAM end to end on a real SoftHSM2 token and real PostgreSQL: credentials generated in the token and
// certified by the development CA (its key in the token too), activation with PIN + TOTP, signHash, and every
// signature verified with Node's crypto under the certificate's public key. The token is this file's own
// (SOFTHSM2_CONF is read once per process; vitest runs each file in its own process).
import { constants, createHash, randomUUID, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { createLogger } from '../../../core/log.ts';
import { SamError, type KeyAlgo, type SignatureActivation } from '../../../core/sam_port.ts';
import type { Hsm } from '../../../sam/hsm/hsm.ts';
import { openPkcs11Hsm } from '../../../sam/hsm/pkcs11/index.ts';
import { readPrivateValue } from '../../../sam/hsm/pkcs11/test_hooks.ts';
import { createSamOnHsm } from '../../../sam/assemble.ts';
import { ensureDevToken } from '../../../softhsm-config/dev_token.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const LABEL = `sam-${randomUUID().slice(0, 8)}`;
let dataDir: string;
let hsm: Hsm;
let db: Db;
let sam: SignatureActivation;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sam-it-'));
  const token = await ensureDevToken({ dataDir, label: LABEL });
  hsm = await openPkcs11Hsm({ module: token.module, tokenLabel: LABEL, pin: token.pin, sessions: 4 });
  db = createPool(process.env.DATABASE_URL!, 8);
  await migrate(db);
  sam = await createSamOnHsm({
    db,
    hsm,
    log: createLogger('silent'),
    config: { tokenLabel: LABEL, sessions: 4, sadLifetimeSeconds: 300, maxFailures: 5 },
  });
});

afterAll(async () => {
  await hsm?.close();
  await db?.end();
  await rm(dataDir, { recursive: true, force: true });
});

const ctx = () => ({ requestId: randomUUID(), sourceIp: '198.51.100.1' });
const sha256 = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

type Signer = { userId: string; credentialID: string; pin: string; secret: string; certificates: Uint8Array[]; spki: Uint8Array };

async function signer(algo: KeyAlgo): Promise<Signer> {
  const userId = `u-${randomUUID()}`;
  const credentialID = `c-${randomUUID()}`;
  const pin = randomUUID().slice(0, 6);
  const created = await sam.createCredential({ ctx: ctx(), credentialID, ownerId: userId, algo, pin, subject: { commonName: `Signer ${algo}` }, scal: '2', multisign: 10 });
  const { secret } = await sam.enrollOtp({ ctx: ctx(), userId, accountName: `${userId}@example.org` });
  return { userId, credentialID, pin, secret, certificates: created.certificates, spki: created.publicKeySpki };
}

async function activate(s: Signer, hashes: Uint8Array[]): Promise<string> {
  const otp = await generate({ secret: s.secret }); // what the user's authenticator app shows now
  const { sad } = await sam.activate({
    ctx: ctx(),
    userId: s.userId,
    clientId: 'app',
    credentialID: s.credentialID,
    numSignatures: hashes.length,
    hashes,
    hashAlgorithmOID: SHA256,
    factors: { pin: s.pin, otp },
  });
  return sad;
}

function certKey(s: Signer): KeyObject {
  const ee = new X509Certificate(s.certificates[0]!);
  const root = new X509Certificate(s.certificates[1]!);
  expect(ee.verify(root.publicKey)).toBe(true);
  expect(ee.publicKey.export({ format: 'der', type: 'spki' }).equals(Buffer.from(s.spki))).toBe(true);
  return ee.publicKey;
}

function pssParams(saltLength: number): Uint8Array {
  const sha = new AlgorithmIdentifier({ algorithm: SHA256, parameters: null });
  return new Uint8Array(
    AsnConvert.serialize(
      new RsaSaPssParams({
        hashAlgorithm: sha,
        maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.8', parameters: AsnConvert.serialize(sha) }),
        saltLength,
      }),
    ),
  );
}

describe('SAM on SoftHSM2', () => {
  it('EC-P256: PIN + TOTP, signHash, the signature verifies under the certificate key', async () => {
    const s = await signer('EC-P256');
    const sad = await activate(s, [sha256('contract.pdf')]);
    const { signatures } = await sam.signHash({
      ctx: ctx(),
      sad,
      userId: s.userId,
      clientId: 'app',
      credentialID: s.credentialID,
      hashes: [sha256('contract.pdf')],
      signAlgo: '1.2.840.10045.4.3.2',
    });
    expect(verify('sha256', Buffer.from('contract.pdf'), certKey(s), signatures[0]!)).toBe(true);
    // the credential key never leaves the token
    const { rows } = await db.query('SELECT key_id FROM sam.credentials WHERE credential_id = $1', [s.credentialID]);
    await expect(readPrivateValue(hsm, rows[0].key_id)).rejects.toMatchObject({ ckr: 'CKR_ATTRIBUTE_SENSITIVE' });
  });

  it('RSA-2048: PKCS#1 v1.5 and RSASSA-PSS from one SAD for two hashes', async () => {
    const s = await signer('RSA-2048');
    const sad = await activate(s, [sha256('a.pdf'), sha256('b.pdf')]);
    const base = { ctx: ctx(), sad, userId: s.userId, clientId: 'app', credentialID: s.credentialID };
    const pkcs1 = await sam.signHash({ ...base, hashes: [sha256('a.pdf')], signAlgo: '1.2.840.113549.1.1.11' });
    const pss = await sam.signHash({ ...base, ctx: ctx(), hashes: [sha256('b.pdf')], signAlgo: '1.2.840.113549.1.1.10', signAlgoParams: pssParams(32) });
    const key = certKey(s);
    expect(verify('sha256', Buffer.from('a.pdf'), key, pkcs1.signatures[0]!)).toBe(true);
    expect(verify('sha256', Buffer.from('b.pdf'), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pss.signatures[0]!)).toBe(true);
    await expect(sam.signHash({ ...base, ctx: ctx(), hashes: [sha256('a.pdf')], signAlgo: '1.2.840.113549.1.1.11' })).rejects.toMatchObject({
      code: 'SAM_SAD_EXHAUSTED',
    });
  });

  it('20 parallel signHash calls with one n=1 SAD give exactly one signature', async () => {
    const s = await signer('EC-P256');
    const h = sha256('once.pdf');
    const sad = await activate(s, [h]);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        sam.signHash({ ctx: ctx(), sad, userId: s.userId, clientId: 'app', credentialID: s.credentialID, hashes: [h], signAlgo: '1.2.840.10045.4.3.2' }),
      ),
    );
    const ok = results.filter((r): r is PromiseFulfilledResult<{ signatures: Uint8Array[] }> => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    expect(verify('sha256', Buffer.from('once.pdf'), certKey(s), ok[0]!.value.signatures[0]!)).toBe(true);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as SamError).code).toBe('SAM_SAD_EXHAUSTED');
  });

  it('a SAD from this SAM survives a restart of the SAM (key found again by label)', async () => {
    const s = await signer('EC-P256');
    const sad = await activate(s, [sha256('restart.pdf')]);
    const again = await createSamOnHsm({ db, hsm, log: createLogger('silent'), config: { tokenLabel: LABEL, sessions: 4, sadLifetimeSeconds: 300, maxFailures: 5 } });
    expect(Buffer.from(await again.caCertificate()).equals(Buffer.from(await sam.caCertificate()))).toBe(true);
    const { signatures } = await again.signHash({
      ctx: ctx(),
      sad,
      userId: s.userId,
      clientId: 'app',
      credentialID: s.credentialID,
      hashes: [sha256('restart.pdf')],
      signAlgo: '1.2.840.10045.4.3.2',
    });
    expect(verify('sha256', Buffer.from('restart.pdf'), certKey(s), signatures[0]!)).toBe(true);
  });
});
