// Wrong one-time passwords are counted per user as well as per credential (issue #14 finding 7): one authenticator
// serves all of a user's credentials, so spreading guesses over them must not multiply the tries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctx, digest, newSigner, otpAt, setup, SHA256, type Env, type Signer } from './helpers.ts';

let env: Env;
beforeAll(async () => {
  env = await setup({ maxFailures: 3 });
});
afterAll(async () => env.close());

function activate(s: Signer, credentialID: string, otp: string) {
  return env.sam.activate({
    ctx: ctx(), userId: s.userId, clientId: 'client-a', credentialID, numSignatures: 1, hashes: [digest('doc')], hashAlgorithmOID: SHA256,
    factors: { pin: s.pin, otp },
  });
}

describe('per-user count of wrong one-time passwords', () => {
  it('refuses every credential of the user once the authenticator has had maxFailures wrong codes, until an unlock', async () => {
    const s = await newSigner(env);
    // A second and a third credential of the same user, with the same PIN: the same authenticator answers for all.
    const more = [`cred-b-${s.userId}`, `cred-c-${s.userId}`];
    for (const id of more) {
      await env.sam.createCredential({ ctx: ctx(), credentialID: id, ownerId: s.userId, algo: 'EC-P256', pin: s.pin, subject: { commonName: 'Alice' }, scal: '2', multisign: 1 });
    }
    const [b, c] = more as [string, string];
    // One wrong code at each credential: no credential reaches its own limit of 3.
    for (const id of [s.credentialID, b, c]) await expect(activate(s, id, '000000')).rejects.toMatchObject({ code: 'SAM_OTP_INVALID' });
    // The user's authenticator has: even the right code is not judged, on any credential.
    env.clock.advance(30);
    await expect(activate(s, b, await otpAt(env, s))).rejects.toMatchObject({
      code: 'SAM_CREDENTIAL_LOCKED',
      detail: "too many wrong one-time passwords for this user's authenticator",
    });
    // The refused attempt's reservations were taken back: b still holds its one failure of each factor it had.
    const counts = await env.db.query('SELECT pin_failures, otp_failures, locked_at FROM sam.credentials WHERE credential_id = $1', [b]);
    expect(counts.rows).toEqual([{ pin_failures: 0, otp_failures: 1, locked_at: null }]);
    await expect(activate(s, s.credentialID, await otpAt(env, s))).rejects.toMatchObject({ code: 'SAM_CREDENTIAL_LOCKED' });
    const { rows } = await env.db.query('SELECT failures FROM sam.otp WHERE user_id = $1', [s.userId]);
    expect(rows).toEqual([{ failures: 3 }]);
    // An admin unlock of one credential unlocks the authenticator: the right factors work again, everywhere.
    await env.sam.unlock({ ctx: ctx(), credentialID: c });
    env.clock.advance(30);
    expect((await activate(s, b, await otpAt(env, s))).sad).toMatch(/\./);
  });

  it('a successful activation starts the user count again', async () => {
    const s = await newSigner(env);
    await expect(activate(s, s.credentialID, '000000')).rejects.toMatchObject({ code: 'SAM_OTP_INVALID' });
    await expect(activate(s, s.credentialID, '000000')).rejects.toMatchObject({ code: 'SAM_OTP_INVALID' });
    env.clock.advance(30);
    await activate(s, s.credentialID, await otpAt(env, s));
    const { rows } = await env.db.query('SELECT failures FROM sam.otp WHERE user_id = $1', [s.userId]);
    expect(rows).toEqual([{ failures: 0 }]);
  });
});
