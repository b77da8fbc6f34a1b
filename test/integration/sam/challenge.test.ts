// credentials/getChallenge in the SAM (CSC v2 §11.8) with an injected clock: the code is delivered, accepted once,
// refused the second time and after its lifetime, only the latest is live, and the 6th challenge in the window is
// refused with the seconds until the next slot. Real PostgreSQL, fake HSM, a recording notifier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamError } from '../../../core/sam_port.ts';
import { newCode } from '../../../sam/app/challenge.ts';
import type { Notifier, OutboundMessage } from '../../../sam/notify/notifier.ts';
import { auditRows, ctx, digest, expectRefusal, newSigner, setup, SHA256, type Env, type Signer } from './helpers.ts';

const sent: OutboundMessage[] = [];
let failDelivery = false;
/** While set, a send hands over its message and then waits for it: a slow SMTP server. */
let gate: Promise<void> | null = null;
const notifier: Notifier = {
  async send(msg) {
    if (failDelivery) throw new Error('down');
    sent.push(msg);
    if (gate) await gate;
  },
};

let env: Env;
beforeAll(async () => {
  env = await setup({ notifier, otpChallenge: { digits: 6, lifetimeSeconds: 300, max: 5, windowSeconds: 7200 } });
});
afterAll(async () => env.close());

const recipient = { username: 'alice', email: 'alice@example.org', phone: '+41 79 000 00 00' };

async function challenge(s: Signer, c = ctx()) {
  return env.sam.getChallenge({ ctx: c, userId: s.userId, clientId: 'client-a', credentialID: s.credentialID, recipient });
}

function lastCode(): string {
  const m = /\b(\d{6})\b/.exec(sent.at(-1)!.text);
  return m![1]!;
}

async function activate(s: Signer, otp: string, c = ctx()) {
  return env.sam.activate({
    ctx: c,
    userId: s.userId,
    clientId: 'client-a',
    credentialID: s.credentialID,
    numSignatures: 1,
    hashes: [digest('doc')],
    hashAlgorithmOID: SHA256,
    factors: { pin: s.pin, otp },
  });
}

describe('getChallenge', () => {
  it('sends a 6-digit code by e-mail, keeps only its hash, and audits the challenge', async () => {
    const s = await newSigner(env, { otpChannel: 'email', otp: false });
    const c = ctx();
    expect(await challenge(s, c)).toEqual({ channel: 'email', expiresIn: 300 });
    const msg = sent.at(-1)!;
    expect(msg).toMatchObject({ channel: 'email', to: 'alice@example.org', username: 'alice', subject: 'Your signing code' });
    const code = lastCode();
    const { rows } = await env.db.query<{ code_hash: string }>('SELECT code_hash FROM sam.challenges WHERE credential_id = $1', [s.credentialID]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.code_hash).toMatch(/^scrypt\$/);
    expect(rows[0]!.code_hash).not.toContain(code);
    expect((await auditRows(env.db, { requestId: c.requestId })).map((r) => [r.event, r.result])).toEqual([['challenge', 'ok']]);
  });

  it('sends by SMS to the phone number for an sms credential', async () => {
    const s = await newSigner(env, { otpChannel: 'sms', otp: false });
    expect(await challenge(s)).toEqual({ channel: 'sms', expiresIn: 300 });
    expect(sent.at(-1)).toMatchObject({ channel: 'sms', to: '+41 79 000 00 00' });
  });

  it('accepts the code once and refuses it the second time', async () => {
    const s = await newSigner(env, { otpChannel: 'email', otp: false });
    await challenge(s);
    const code = lastCode();
    const { sad } = await activate(s, code);
    expect(sad.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(sad.split('.')[1]!, 'base64url').toString());
    expect(claims.amr).toEqual(['pwd', 'otp']);
    await expectRefusal(env, 'SAM_OTP_INVALID', (c) => activate(s, code, c));
  });

  it('refuses the code after 5 minutes', async () => {
    const s = await newSigner(env, { otpChannel: 'email', otp: false });
    await challenge(s);
    const code = lastCode();
    env.clock.advance(301);
    await expectRefusal(env, 'SAM_OTP_INVALID', (c) => activate(s, code, c));
  });

  it('accepts the code just before it expires', async () => {
    const s = await newSigner(env, { otpChannel: 'email', otp: false });
    await challenge(s);
    env.clock.advance(299);
    await expect(activate(s, lastCode())).resolves.toMatchObject({ expiresIn: 300 });
  });

  it('supersedes an older code with a newer one', async () => {
    const s = await newSigner(env, { otpChannel: 'email', otp: false });
    await challenge(s);
    const first = lastCode();
    await challenge(s);
    const second = lastCode();
    if (first !== second) await expectRefusal(env, 'SAM_OTP_INVALID', (c) => activate(s, first, c));
    await expect(activate(s, second)).resolves.toMatchObject({ sad: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) });
  });

  it("refuses a wrong code and counts it towards the lockout as an OTP failure (the PIN's counter untouched)", async () => {
    const s = await newSigner(env, { otpChannel: 'email', otp: false });
    await challenge(s);
    const wrong = String((Number(lastCode()) + 1) % 1_000_000).padStart(6, '0');
    await expectRefusal(env, 'SAM_OTP_INVALID', (c) => activate(s, wrong, c));
    const { rows } = await env.db.query('SELECT pin_failures, otp_failures FROM sam.credentials WHERE credential_id = $1', [s.credentialID]);
    expect(rows[0]).toEqual({ pin_failures: 0, otp_failures: 1 });
  });

  it('refuses the 6th challenge within 2 hours and says when the next is allowed; the window then slides', async () => {
    const s = await newSigner(env, { otpChannel: 'sms', otp: false });
    for (let i = 0; i < 5; i++) {
      await challenge(s);
      env.clock.advance(60);
    }
    const before = sent.length;
    const err = await expectRefusal(env, 'SAM_CHALLENGE_RATE_LIMITED', (c) => challenge(s, c));
    // The first of the five was sent 300 s ago: its slot frees 7200 - 300 s from now.
    expect(err.detail).toBe(String(7200 - 300));
    expect(sent.length).toBe(before);
    env.clock.advance(7200 - 300 + 1);
    await expect(challenge(s)).resolves.toMatchObject({ channel: 'sms' });
  });

  it('refuses a TOTP credential, a user without an address, another user, and an undeliverable message', async () => {
    const totp = await newSigner(env);
    await expectRefusal(env, 'SAM_CHALLENGE_NOT_APPLICABLE', (c) => challenge(totp, c));
    const s = await newSigner(env, { otpChannel: 'email', otp: false });
    await expectRefusal(env, 'SAM_NO_RECIPIENT', (c) =>
      env.sam.getChallenge({ ctx: c, userId: s.userId, clientId: 'a', credentialID: s.credentialID, recipient: { username: 'x', email: null } }),
    );
    await expectRefusal(env, 'SAM_CREDENTIAL_UNKNOWN', (c) =>
      env.sam.getChallenge({ ctx: c, userId: 'someone-else', clientId: 'a', credentialID: s.credentialID, recipient }),
    );
    failDelivery = true;
    try {
      await expectRefusal(env, 'SAM_NOTIFY_FAILED', (c) => challenge(s, c), 'refused');
    } finally {
      failDelivery = false;
    }
    // The undelivered challenge was rolled back: nothing counts against the limit, no code is live.
    const { rows } = await env.db.query('SELECT 1 FROM sam.challenges WHERE credential_id = $1', [s.credentialID]);
    expect(rows).toHaveLength(0);
  });

  it('sends without holding the credential row; the code works only once delivered, and then supersedes the last', async () => {
    const s = await newSigner(env, { otpChannel: 'email', otp: false });
    await challenge(s);
    const before = lastCode();
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    let pending: Promise<unknown>;
    try {
      const count = sent.length;
      pending = challenge(s);
      while (sent.length === count) await new Promise((r) => setTimeout(r, 5));
      // The message is on its way: the row that activations lock is free...
      const other = await env.db.connect();
      try {
        await other.query('BEGIN');
        const { rowCount } = await other.query('SELECT 1 FROM sam.credentials WHERE credential_id = $1 FOR UPDATE NOWAIT', [s.credentialID]);
        expect(rowCount).toBe(1);
        await other.query('ROLLBACK');
      } finally {
        other.release();
      }
      // ...and the code in flight is not usable yet, nor has it superseded the one delivered before.
      const inFlight = lastCode();
      if (inFlight !== before) await expectRefusal(env, 'SAM_OTP_INVALID', (c) => activate(s, inFlight, c));
    } finally {
      gate = null;
      release();
    }
    await pending;
    const delivered = lastCode();
    if (delivered !== before) await expectRefusal(env, 'SAM_OTP_INVALID', (c) => activate(s, before, c));
    await expect(activate(s, delivered)).resolves.toMatchObject({ sad: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) });
  });

  it('requires the OTP at activation of an out-of-band credential, without a TOTP enrolment', async () => {
    const s = await newSigner(env, { otpChannel: 'email', otp: false });
    const err = await env.sam
      .activate({ ctx: ctx(), userId: s.userId, clientId: 'c', credentialID: s.credentialID, numSignatures: 1, hashes: [digest('x')], hashAlgorithmOID: SHA256, factors: { pin: s.pin } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SamError);
    expect((err as SamError).code).toBe('SAM_FACTORS_MISSING');
  });

  it('makes codes of the configured length, leading zeros kept', () => {
    for (const digits of [6, 7, 8]) expect(newCode(digits)).toMatch(new RegExp(`^[0-9]{${digits}}$`));
  });

  it('publishes the channel in the credential state', async () => {
    const s = await newSigner(env, { otpChannel: 'sms', otp: false });
    const [state] = await env.sam.state([s.credentialID]);
    expect(state!.otpChannel).toBe('sms');
  });
});
