// Asynchronous authorization in the SAM (CSC v2 §11.7) with an injected clock: the link goes to the notifier,
// authorizeCheck is pending until the person approves with the right factors, hands the SAD out once, and
// answers the spec's errors after expiry, refusal, or a lock. Real PostgreSQL, fake HSM, recording notifier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../../sam/notify/notifier.ts';
import { auditRows, ctx, digest, expectRefusal, jtiOf, newSigner, otpAt, setup, SHA256, type Env, type Signer } from './helpers.ts';

const sent: OutboundMessage[] = [];
let env: Env;
beforeAll(async () => {
  env = await setup({ notifier: { send: async (m) => void sent.push(m) }, maxFailures: 3 });
});
afterAll(async () => env.close());

const recipient = { username: 'alice', email: 'alice@example.org' };

async function request(s: Signer, c = ctx()) {
  const r = await env.sam.requestApproval({
    ctx: c,
    userId: s.userId,
    clientId: 'client-a',
    credentialID: s.credentialID,
    numSignatures: 1,
    hashes: [digest('doc')],
    hashAlgorithmOID: SHA256,
    description: 'Offer',
    recipient,
    linkBase: 'https://sign.example/approve/',
  });
  const link = /https:\/\/sign\.example\/approve\/([A-Za-z0-9_-]+)/.exec(sent.at(-1)!.text)![1]!;
  return { ...r, link };
}

const check = (s: Signer, handle: string, c = ctx(), clientId = 'client-a') =>
  env.sam.checkApproval({ ctx: c, handle, userId: s.userId, clientId });

async function approve(s: Signer, link: string, pin = s.pin) {
  env.clock.advance(30); // a fresh TOTP step
  return env.sam.decideApproval({ ctx: ctx(), link, approve: true, factors: { pin, otp: await otpAt(env, s) } });
}

describe('asynchronous authorization', () => {
  it('is pending until approved, then yields a SAD bound to the hashes, once', async () => {
    const s = await newSigner(env);
    const { handle, link, expiresIn } = await request(s);
    expect(expiresIn).toBe(300);
    expect(sent.at(-1)).toMatchObject({ channel: 'email', to: 'alice@example.org', subject: 'Approve a signature' });
    expect(handle).not.toBe(link);
    expect(await check(s, handle)).toEqual({ status: 'pending' });
    const view = await env.sam.approvalView({ link });
    expect(view).toMatchObject({ credentialID: s.credentialID, clientId: 'client-a', numSignatures: 1, description: 'Offer', state: 'pending' });
    expect(await env.sam.approvalView({ link: handle })).toBeNull();

    expect(await approve(s, link)).toEqual({ state: 'approved' });
    const got = await check(s, handle);
    expect(got).toMatchObject({ status: 'approved', expiresIn: 300 });
    const sad = (got as { sad: string }).sad;
    const rows = await auditRows(env.db, { sadJti: jtiOf(sad) });
    expect(rows.map((r) => [r.event, r.result, r.amr])).toEqual([['activate', 'ok', ['pwd', 'otp']]]);
    const { signatures } = await env.sam.signHash({ ctx: ctx(), sad, userId: s.userId, clientId: 'client-a', credentialID: s.credentialID, hashes: [digest('doc')], signAlgo: '1.2.840.10045.4.3.2' });
    expect(signatures).toHaveLength(1);
    await expect(check(s, handle)).rejects.toMatchObject({ code: 'SAM_APPROVAL_UNKNOWN' });
    // The SAD does not stay in the database once handed out.
    const { rows: left } = await env.db.query('SELECT sad FROM sam.approvals WHERE credential_id = $1', [s.credentialID]);
    expect(left).toEqual([{ sad: null }]);
  });

  it('expires after 5 minutes: authorizeCheck and the page both refuse', async () => {
    const s = await newSigner(env);
    const { handle, link } = await request(s);
    env.clock.advance(301);
    await expect(check(s, handle)).rejects.toMatchObject({ code: 'SAM_APPROVAL_EXPIRED' });
    expect((await env.sam.approvalView({ link }))!.state).toBe('expired');
    await expect(approve(s, link)).rejects.toMatchObject({ code: 'SAM_APPROVAL_EXPIRED' });
  });

  it('refusal is final', async () => {
    const s = await newSigner(env);
    const { handle, link } = await request(s);
    expect(await env.sam.decideApproval({ ctx: ctx(), link, approve: false, factors: {} })).toEqual({ state: 'refused' });
    await expect(check(s, handle)).rejects.toMatchObject({ code: 'SAM_APPROVAL_REFUSED' });
    await expect(approve(s, link)).rejects.toMatchObject({ code: 'SAM_APPROVAL_REFUSED' });
  });

  it('wrong factors keep it pending and count towards the lockout; once locked, authorizeCheck says so', async () => {
    const s = await newSigner(env);
    const { handle, link } = await request(s);
    for (let i = 0; i < 3; i++) await expect(approve(s, link, '0000')).rejects.toMatchObject({ code: 'SAM_PIN_INVALID' });
    await expect(check(s, handle)).rejects.toMatchObject({ code: 'SAM_CREDENTIAL_LOCKED' });
  });

  it('only the user and client that asked can poll', async () => {
    const s = await newSigner(env);
    const other = await newSigner(env);
    const { handle } = await request(s);
    await expect(check(other, handle)).rejects.toMatchObject({ code: 'SAM_APPROVAL_UNKNOWN' });
    await expect(check(s, handle, ctx(), 'client-b')).rejects.toMatchObject({ code: 'SAM_APPROVAL_UNKNOWN' });
    await expect(check(s, 'made-up')).rejects.toMatchObject({ code: 'SAM_APPROVAL_UNKNOWN' });
  });

  it('binds the hashes as activation does', async () => {
    const s = await newSigner(env);
    await expectRefusal(env, 'SAM_HASHES_REQUIRED', (c) =>
      env.sam.requestApproval({ ctx: c, userId: s.userId, clientId: 'c', credentialID: s.credentialID, numSignatures: 1, recipient, linkBase: 'https://x/' }),
    );
    await expectRefusal(env, 'SAM_HASH_COUNT_MISMATCH', (c) =>
      env.sam.requestApproval({ ctx: c, userId: s.userId, clientId: 'c', credentialID: s.credentialID, numSignatures: 2, hashes: [digest('a')], hashAlgorithmOID: SHA256, recipient, linkBase: 'https://x/' }),
    );
  });
});

describe('asynchronous authorization without delivery', () => {
  it('keeps no request whose link could not be sent', async () => {
    const failing = await setup({ notifier: { send: async () => Promise.reject(new Error('down')) } });
    try {
      const s = await newSigner(failing);
      await expect(
        failing.sam.requestApproval({
          ctx: ctx(), userId: s.userId, clientId: 'c', credentialID: s.credentialID, numSignatures: 1, hashes: [digest('a')],
          hashAlgorithmOID: SHA256, recipient, linkBase: 'https://x/',
        }),
      ).rejects.toMatchObject({ code: 'SAM_NOTIFY_FAILED' });
      const { rows } = await failing.db.query('SELECT 1 FROM sam.approvals WHERE credential_id = $1', [s.credentialID]);
      expect(rows).toHaveLength(0);
    } finally {
      await failing.close();
    }
  });
});
