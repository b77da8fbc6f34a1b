// Deleting credentials in the SAM on a real SoftHSM2 token and PostgreSQL (CSC v2.2 credentials/delete, one-time
// credentials): the key objects are gone from the token (counted through PKCS#11), the binding is gone, every later
// use is refused as an unknown credential, and each deletion has its audit row. The token is this file's own.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from 'otplib';
import { sealAudit } from '../../../sam/audit/seal.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { createLogger } from '../../../core/log.ts';
import type { KeyAlgo, SignatureActivation } from '../../../core/sam_port.ts';
import type { Hsm } from '../../../sam/hsm/hsm.ts';
import { openPkcs11Hsm } from '../../../sam/hsm/pkcs11/index.ts';
import { countObjects } from '../../../sam/hsm/pkcs11/test_hooks.ts';
import { createSamPartsOnHsm } from '../../../sam/assemble.ts';
import { ensureDevToken } from '../../../softhsm-config/dev_token.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const LABEL = `del-${randomUUID().slice(0, 8)}`;
let dataDir: string;
let hsm: Hsm;
let db: Db;
let sam: SignatureActivation;
let purge: () => Promise<number>;
/** The SAM's clock: moved forward to let a one-time certificate expire. */
let offsetMs = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sam-del-'));
  const token = await ensureDevToken({ dataDir, label: LABEL });
  hsm = await openPkcs11Hsm({ module: token.module, tokenLabel: LABEL, pin: token.pin, sessions: 4 });
  db = createPool(process.env.DATABASE_URL!, 8);
  await migrate(db);
  const parts = await createSamPartsOnHsm({
    db,
    hsm,
    log: createLogger('silent'),
    now: () => new Date(Date.now() + offsetMs),
    config: { tokenLabel: LABEL, sessions: 4, sadLifetimeSeconds: 300, maxFailures: 5 },
  });
  sam = parts.port;
  purge = parts.purgeExpiredOneTime;
});

afterAll(async () => {
  await hsm?.close();
  await db?.end();
  await rm(dataDir, { recursive: true, force: true });
});

const ctx = () => ({ requestId: randomUUID() });
const sha256 = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

async function create(algo: KeyAlgo, opts: { oneTime?: boolean; validitySeconds?: number } = {}) {
  const userId = `u-${randomUUID()}`;
  const credentialID = `c-${randomUUID()}`;
  await sam.createCredential({
    ctx: ctx(), credentialID, ownerId: userId, algo, pin: '135790', subject: { commonName: 'Deletion test' }, scal: '2', multisign: 2,
    origin: 'csc', ...opts,
  });
  const { secret } = await sam.enrollOtp({ ctx: ctx(), userId, accountName: `${userId}@example.org` });
  return { userId, credentialID, secret };
}

/** The credential's audit rows in chain order: sealed first (appends are chained moments after commit, and an unsealed
 *  row has no seq to order by yet). */
async function auditOf(credentialID: string) {
  await sealAudit(db);
  const { rows } = await db.query<{ event: string; result: string; reason: string | null; destroyed: number | null }>(
    `SELECT event, result, detail::jsonb->>'reason' AS reason, (detail::jsonb->>'destroyedObjects')::int AS destroyed
       FROM sam.audit_chained WHERE credential_id = $1 AND event LIKE 'credential.%' ORDER BY seq`,
    [credentialID],
  );
  return rows;
}

describe('deleteCredential', () => {
  it('destroys both key objects, removes the binding, refuses the id afterwards, and audits both events', async () => {
    const before = await countObjects(hsm);
    const c = await create('EC-P256');
    expect(await countObjects(hsm)).toBe(before + 2);
    await expect(sam.deleteCredential({ ctx: ctx(), credentialID: c.credentialID, ownerId: 'someone-else' })).rejects.toMatchObject({ code: 'SAM_NOT_OWNER' });
    expect(await countObjects(hsm)).toBe(before + 2);
    expect(await sam.deleteCredential({ ctx: ctx(), credentialID: c.credentialID, ownerId: c.userId })).toEqual({ destroyedObjects: 2 });
    expect(await countObjects(hsm)).toBe(before);
    expect(await sam.state([c.credentialID])).toEqual([]);
    const otp = await generate({ secret: c.secret });
    await expect(
      sam.activate({ ctx: ctx(), userId: c.userId, clientId: 'app', credentialID: c.credentialID, numSignatures: 1, hashes: [sha256('x')], hashAlgorithmOID: SHA256, factors: { pin: '135790', otp } }),
    ).rejects.toMatchObject({ code: 'SAM_CREDENTIAL_UNKNOWN' });
    await expect(sam.deleteCredential({ ctx: ctx(), credentialID: c.credentialID })).rejects.toMatchObject({ code: 'SAM_CREDENTIAL_UNKNOWN' });
    expect(await auditOf(c.credentialID)).toEqual([
      { event: 'credential.create', result: 'ok', reason: null, destroyed: null },
      { event: 'credential.delete', result: 'refused', reason: 'request', destroyed: null },
      { event: 'credential.delete', result: 'ok', reason: 'request', destroyed: 2 },
      { event: 'credential.delete', result: 'refused', reason: 'request', destroyed: null },
    ]);
  });

  it('a one-time credential is deleted by the signHash that spends its authorization, not before', async () => {
    const before = await countObjects(hsm);
    const c = await create('RSA-2048', { oneTime: true, validitySeconds: 600 });
    const hashes = [sha256('one'), sha256('two')];
    const { sad } = await sam.activate({
      ctx: ctx(), userId: c.userId, clientId: 'app', credentialID: c.credentialID, numSignatures: 2, hashes, hashAlgorithmOID: SHA256,
      factors: { pin: '135790', otp: await generate({ secret: c.secret }) },
    });
    const base = { sad, userId: c.userId, clientId: 'app', credentialID: c.credentialID, signAlgo: '1.2.840.113549.1.1.11' };
    await sam.signHash({ ...base, ctx: ctx(), hashes: [hashes[0]!] });
    expect(await countObjects(hsm)).toBe(before + 2); // one signature of two: still there
    const last = await sam.signHash({ ...base, ctx: ctx(), hashes: [hashes[1]!] });
    expect(last.signatures).toHaveLength(1);
    expect(await countObjects(hsm)).toBe(before);
    expect(await sam.state([c.credentialID])).toEqual([]);
    expect((await auditOf(c.credentialID)).at(-1)).toEqual({ event: 'credential.delete', result: 'ok', reason: 'one-time-used', destroyed: 2 });
  });

  it('a one-time credential whose certificate expired is deleted by the purge; others are left alone', async () => {
    const before = await countObjects(hsm);
    const oneTime = await create('EC-P256', { oneTime: true, validitySeconds: 120 });
    const lasting = await create('EC-P256');
    expect(await purge()).toBe(0);
    offsetMs = 10 * 60_000; // ten minutes on: the one-time certificate has expired, the other has not
    try {
      expect(await purge()).toBe(1);
    } finally {
      offsetMs = 0;
    }
    expect(await countObjects(hsm)).toBe(before + 2);
    expect((await sam.state([oneTime.credentialID, lasting.credentialID])).map((s) => s.credentialID)).toEqual([lasting.credentialID]);
    expect((await auditOf(oneTime.credentialID)).at(-1)).toEqual({ event: 'credential.delete', result: 'ok', reason: 'one-time-expired', destroyed: 2 });
  });
});
