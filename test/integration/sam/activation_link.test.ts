// Activation links in the SAM on a real SoftHSM2 token and real PostgreSQL (issue #14 finding 1), with a clock of
// the test's own so that expiry is exact: the link reaches only the notifier, is stored only as a hash, sets the PIN
// and the TOTP seed the person confirmed, works once, and one error answers unknown, used, spent and expired links.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { createLogger } from '../../../core/log.ts';
import { SamError, type SignatureActivation } from '../../../core/sam_port.ts';
import type { Hsm } from '../../../sam/hsm/hsm.ts';
import { openPkcs11Hsm } from '../../../sam/hsm/pkcs11/index.ts';
import { createSamOnHsm } from '../../../sam/assemble.ts';
import { purgeSam } from '../../../sam/store/purge.ts';
import type { OutboundMessage } from '../../../sam/notify/notifier.ts';
import { ensureDevToken } from '../../../softhsm-config/dev_token.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const LABEL = `act-${randomUUID().slice(0, 8)}`;
const LINK_BASE = 'https://sign.example.org/activate/';
let dataDir: string;
let hsm: Hsm;
let db: Db;
let sam: SignatureActivation;
let clock = Date.now();
const sent: OutboundMessage[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sam-act-'));
  const token = await ensureDevToken({ dataDir, label: LABEL });
  hsm = await openPkcs11Hsm({ module: token.module, tokenLabel: LABEL, pin: token.pin, sessions: 4 });
  db = createPool(process.env.DATABASE_URL!, 8);
  await migrate(db);
  sam = await createSamOnHsm({
    db,
    hsm,
    log: createLogger('silent'),
    now: () => new Date(clock),
    notifier: { send: async (m) => void sent.push(m) },
    config: { tokenLabel: LABEL, sessions: 4, sadLifetimeSeconds: 300, maxFailures: 5, pinScryptLog2N: 10, activationLifetimeSeconds: 3600 },
  });
});

afterAll(async () => {
  await hsm?.close();
  await db?.end();
  await rm(dataDir, { recursive: true, force: true });
});

const ctx = () => ({ requestId: randomUUID(), sourceIp: '198.51.100.7' });
const codeAt = (secret: string, ms: number) => generate({ secret, epoch: Math.floor(ms / 1000) });

/** A user with a SCAL 2 credential created without a PIN, as production's admin must. */
async function pending() {
  const userId = `u-${randomUUID()}`;
  const credentialID = `c-${randomUUID()}`;
  await sam.createCredential({ ctx: ctx(), credentialID, ownerId: userId, algo: 'EC-P256', subject: { commonName: 'Pending Signer' }, scal: '2', multisign: 1 });
  return { userId, credentialID, username: `user-${userId.slice(2, 10)}` };
}

async function issue(p: { userId: string; credentialID: string; username: string }) {
  const before = sent.length;
  const res = await sam.issueActivation({
    ctx: ctx(), userId: p.userId, credentialIDs: [p.credentialID], accountName: p.username,
    recipient: { username: p.username, email: `${p.username}@example.org` }, linkBase: LINK_BASE,
  });
  expect(sent.length).toBe(before + 1);
  const msg = sent.at(-1)!;
  const token = new RegExp(`${LINK_BASE}([A-Za-z0-9_-]{43})`).exec(msg.text)![1]!;
  return { res, token, msg };
}

const hash = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

async function activate(p: { userId: string; credentialID: string }, pin: string, otp: string) {
  return sam.activate({ ctx: ctx(), userId: p.userId, clientId: 'app', credentialID: p.credentialID, numSignatures: 1, hashes: [hash('doc')], hashAlgorithmOID: SHA256, factors: { pin, otp } });
}

const auditRows = async (event: string, userId: string) =>
  (await db.query<{ result: string; error_code: string | null; detail: Record<string, unknown> | null }>(
    'SELECT result, error_code, detail FROM sam.audit WHERE event = $1 AND user_id = $2 ORDER BY id',
    [event, userId],
  )).rows;

describe('activation links in the SAM', () => {
  it('sends the link to the registered address only, answers where and until when, stores only a hash', async () => {
    const p = await pending();
    const { res, token, msg } = await issue(p);
    expect(res).toEqual({ channel: 'email', to: `${p.username}@example.org`, expiresAt: new Date(clock + 3600_000).toISOString() });
    expect(JSON.stringify(res)).not.toContain(token);
    expect(msg).toMatchObject({ channel: 'email', to: `${p.username}@example.org`, username: p.username, subject: 'Activate your signing credential' });
    const { rows } = await db.query<{ token_hash: Buffer }>('SELECT token_hash FROM sam.activations WHERE user_id = $1', [p.userId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash.equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(await auditRows('activation.issue', p.userId)).toMatchObject([{ result: 'ok', error_code: null }]);
  });

  it('a credential without a PIN cannot be activated before its link is redeemed', async () => {
    const p = await pending();
    await expect(activate(p, '123456', '000000')).rejects.toMatchObject({ code: 'SAM_FACTORS_MISSING', message: 'SAM_FACTORS_MISSING: credential has no PIN yet (activation link not redeemed)' });
  });

  it('sets the chosen PIN and the confirmed seed, once; the confirmation code cannot also activate', async () => {
    const p = await pending();
    const { token } = await issue(p);
    const view = (await sam.activationView({ token }))!;
    expect(view).toMatchObject({ userId: p.userId, accountName: p.username, credentials: [{ credentialID: p.credentialID, keyAlgo: 'EC-P256' }] });
    expect(view.totp!.otpauthUri).toContain(`secret=${view.totp!.secret}`);
    // A wrong code first: counted, refused, nothing stored.
    await expect(sam.redeemActivation({ ctx: ctx(), token, pin: '482913', otp: '000000' })).rejects.toMatchObject({ code: 'SAM_OTP_INVALID' });
    await expect(sam.redeemActivation({ ctx: ctx(), token, pin: '12ab', otp: await codeAt(view.totp!.secret, clock) })).rejects.toMatchObject({ code: 'SAM_PIN_FORMAT' });
    const first = await codeAt(view.totp!.secret, clock);
    expect(await sam.redeemActivation({ ctx: ctx(), token, pin: '482913', otp: first })).toEqual({ credentialIDs: [p.credentialID], otpEnrolled: true });
    // Used: the same answer as an unknown link, for the view and for a redemption.
    expect(await sam.activationView({ token })).toBeNull();
    await expect(sam.redeemActivation({ ctx: ctx(), token, pin: '482913', otp: first })).rejects.toEqual(new SamError('SAM_ACTIVATION_INVALID'));
    // The confirmation code is spent; the next step's code with the chosen PIN activates.
    await expect(activate(p, '482913', first)).rejects.toMatchObject({ code: 'SAM_OTP_REUSED' });
    const { sad } = await activate(p, '482913', await codeAt(view.totp!.secret, clock + 30_000));
    expect(sad.split('.')).toHaveLength(3);
    const redeem = await auditRows('activation.redeem', p.userId);
    expect(redeem.map((r) => [r.result, r.error_code])).toEqual([
      ['refused', 'SAM_OTP_INVALID'],
      ['refused', 'SAM_PIN_FORMAT'],
      ['ok', null],
      ['refused', 'SAM_ACTIVATION_INVALID'],
    ]);
  });

  it('refuses a link after its lifetime with the same error as an unknown one', async () => {
    const p = await pending();
    const { token } = await issue(p);
    const secret = (await sam.activationView({ token }))!.totp!.secret;
    clock += 3600_000; // exactly the lifetime: expired
    try {
      expect(await sam.activationView({ token })).toBeNull();
      await expect(sam.redeemActivation({ ctx: ctx(), token, pin: '482913', otp: await codeAt(secret, clock) })).rejects.toEqual(new SamError('SAM_ACTIVATION_INVALID'));
      await expect(sam.redeemActivation({ ctx: ctx(), token: 'x'.repeat(43), pin: '482913', otp: '123456' })).rejects.toEqual(new SamError('SAM_ACTIVATION_INVALID'));
      const { rows } = await db.query('SELECT pin_hash FROM sam.credentials WHERE credential_id = $1', [p.credentialID]);
      expect(rows[0].pin_hash).toBeNull();
      // The purge deletes it once expired long enough; the answer stays the same.
      clock += 86_400_000;
      const deleted = await purgeSam(db, { expiredBefore: new Date(clock - 3600_000), challengesBefore: new Date(clock - 3600_000) });
      expect(deleted['sam.activations']).toBeGreaterThanOrEqual(1);
      expect((await db.query('SELECT 1 FROM sam.activations WHERE user_id = $1', [p.userId])).rowCount).toBe(0);
      await expect(sam.redeemActivation({ ctx: ctx(), token, pin: '482913', otp: '123456' })).rejects.toEqual(new SamError('SAM_ACTIVATION_INVALID'));
      clock -= 86_400_000;
    } finally {
      clock -= 3600_000;
    }
  });

  it('spends the link after MAX_FACTOR_FAILURES wrong codes, also when they arrive in parallel', async () => {
    const p = await pending();
    const { token } = await issue(p);
    const secret = (await sam.activationView({ token }))!.totp!.secret;
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => sam.redeemActivation({ ctx: ctx(), token, pin: '482913', otp: '000000' })));
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as SamError).code : 'ok')).sort();
    expect(codes.filter((c) => c === 'SAM_OTP_INVALID')).toHaveLength(5);
    expect(codes.filter((c) => c === 'SAM_ACTIVATION_INVALID')).toHaveLength(3);
    await expect(sam.redeemActivation({ ctx: ctx(), token, pin: '482913', otp: await codeAt(secret, clock) })).rejects.toEqual(new SamError('SAM_ACTIVATION_INVALID'));
  });

  it('a link for credentials whose codes are sent by e-mail sets the PIN only', async () => {
    const userId = `u-${randomUUID()}`;
    const credentialID = `c-${randomUUID()}`;
    await sam.createCredential({ ctx: ctx(), credentialID, ownerId: userId, algo: 'EC-P256', subject: { commonName: 'Mail Signer' }, scal: '2', multisign: 1, otpChannel: 'email' });
    const { token } = await issue({ userId, credentialID, username: 'mailer' });
    expect((await sam.activationView({ token }))!.totp).toBeNull();
    expect(await sam.redeemActivation({ ctx: ctx(), token, pin: '5550123' })).toEqual({ credentialIDs: [credentialID], otpEnrolled: false });
    const { rows } = await db.query('SELECT pin_hash IS NOT NULL AS has_pin, pin_pending FROM sam.credentials WHERE credential_id = $1', [credentialID]);
    expect(rows[0]).toEqual({ has_pin: true, pin_pending: false });
    expect((await db.query('SELECT 1 FROM sam.otp WHERE user_id = $1', [userId])).rowCount).toBe(0);
  });

  it("refuses to issue for another user's credential or without a recipient", async () => {
    const p = await pending();
    const other = await pending();
    await expect(
      sam.issueActivation({ ctx: ctx(), userId: p.userId, credentialIDs: [other.credentialID], accountName: 'x', recipient: { username: 'x', email: 'x@example.org' }, linkBase: LINK_BASE }),
    ).rejects.toMatchObject({ code: 'SAM_NOT_OWNER' });
    await expect(
      sam.issueActivation({ ctx: ctx(), userId: p.userId, credentialIDs: [p.credentialID], accountName: 'x', recipient: { username: 'x' }, linkBase: LINK_BASE }),
    ).rejects.toMatchObject({ code: 'SAM_NO_RECIPIENT' });
    expect((await auditRows('activation.issue', p.userId)).map((r) => r.error_code)).toEqual(['SAM_NOT_OWNER', 'SAM_NO_RECIPIENT']);
  });
});
