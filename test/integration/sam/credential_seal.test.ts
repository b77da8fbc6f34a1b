// Issue #14 finding 3: a writer of PostgreSQL changes a credential row — its owner, its PIN hash, its SCAL, its OTP
// channel, its enabled flag — or copies or blanks its seal. The SAM refuses the row (SAM_CREDENTIAL_TAMPERED, with a
// refused audit row) instead of signing for whoever edited it. Real SAM code and PostgreSQL, fake HSM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/log.ts';
import { CREDENTIAL_SEAL_LABEL, ensureCredentialSeal } from '../../../sam/app/credential_seal.ts';
import { CREDENTIAL_COLUMNS, credentialFromRow, type CredentialRow } from '../../../sam/store/credentials.ts';
import { authorize, ctx, digest, ECDSA_SHA256, expectRefusal, newSigner, otpAt, setup, SHA256, type Env, type Signer } from './helpers.ts';
import { createFakeHsm } from '../../unit/sam/fake_hsm.ts';

let env: Env;

beforeAll(async () => {
  env = await setup();
});

afterAll(async () => {
  await env?.close();
});

const activateWith = (s: Signer, pin = s.pin) => async (c: ReturnType<typeof ctx>) => {
  env.clock.advance(30);
  return env.sam.activate({
    ctx: c,
    userId: s.userId,
    clientId: 'client-a',
    credentialID: s.credentialID,
    numSignatures: 1,
    hashes: [digest('contract')],
    hashAlgorithmOID: SHA256,
    factors: { pin, otp: await otpAt(env, s) },
  });
};

describe('the seal on a credential row', () => {
  it('lets the SAM use the rows it wrote and changed itself (created, disabled, enabled again)', async () => {
    const s = await newSigner(env);
    await env.sam.setEnabled({ ctx: ctx(), credentialID: s.credentialID, enabled: false });
    await env.sam.setEnabled({ ctx: ctx(), credentialID: s.credentialID, enabled: true });
    const { sad } = await activateWith(s)(ctx());
    const [sig] = await env.sam.signHash({
      ctx: ctx(), userId: s.userId, clientId: 'client-a', credentialID: s.credentialID, sad, hashes: [digest('contract')], signAlgo: ECDSA_SHA256,
    }).then((r) => r.signatures);
    expect(sig!.length).toBeGreaterThan(0);
  });

  it("refuses a credential given another credential's PIN hash and owner (the writer knows that PIN)", async () => {
    const victim = await newSigner(env);
    const attacker = await newSigner(env);
    await env.db.query(
      `UPDATE sam.credentials v SET pin_hash = a.pin_hash, owner_id = a.owner_id FROM sam.credentials a
        WHERE v.credential_id = $1 AND a.credential_id = $2`,
      [victim.credentialID, attacker.credentialID],
    );
    const err = await expectRefusal(env, 'SAM_CREDENTIAL_TAMPERED', activateWith({ ...victim, userId: attacker.userId, secret: attacker.secret }, attacker.pin));
    expect(err.detail).toBe('the credential row does not match its seal');
  });

  it.each([
    ['its SCAL lowered to 1', "UPDATE sam.credentials SET scal = '1' WHERE credential_id = $1"],
    ['its OTP channel changed', "UPDATE sam.credentials SET otp_channel = 'email' WHERE credential_id = $1"],
    ['its multisign raised', 'UPDATE sam.credentials SET multisign = multisign + 1000 WHERE credential_id = $1'],
    ['its certificate validity stretched', "UPDATE sam.credentials SET not_after = not_after + interval '10 years' WHERE credential_id = $1"],
    ['its seal removed', 'UPDATE sam.credentials SET seal = NULL WHERE credential_id = $1'],
  ])('refuses a credential with %s', async (_what, sql) => {
    const s = await newSigner(env);
    await env.db.query(sql, [s.credentialID]);
    await expectRefusal(env, 'SAM_CREDENTIAL_TAMPERED', activateWith(s));
  });

  it("refuses a credential carrying another row's seal", async () => {
    const a = await newSigner(env);
    const b = await newSigner(env);
    await env.db.query(
      'UPDATE sam.credentials v SET seal = o.seal FROM sam.credentials o WHERE v.credential_id = $1 AND o.credential_id = $2',
      [a.credentialID, b.credentialID],
    );
    await expectRefusal(env, 'SAM_CREDENTIAL_TAMPERED', activateWith(a));
  });

  it('refuses a credential the admin disabled and a writer enabled again, at activation and at signHash', async () => {
    const s = await newSigner(env);
    const sad = await authorize(env, s, [digest('contract')]);
    await env.sam.setEnabled({ ctx: ctx(), credentialID: s.credentialID, enabled: false });
    await env.db.query('UPDATE sam.credentials SET enabled = true WHERE credential_id = $1', [s.credentialID]);
    await expectRefusal(env, 'SAM_CREDENTIAL_TAMPERED', activateWith(s));
    await expectRefusal(env, 'SAM_CREDENTIAL_TAMPERED', (c) =>
      env.sam.signHash({ ctx: c, userId: s.userId, clientId: 'client-a', credentialID: s.credentialID, sad, hashes: [digest('contract')], signAlgo: ECDSA_SHA256 }),
    );
  });

  it('leaves a tampered credential out of the states it lists, and keeps the others', async () => {
    const good = await newSigner(env);
    const bad = await newSigner(env);
    await env.db.query("UPDATE sam.credentials SET scal = '1' WHERE credential_id = $1", [bad.credentialID]);
    const states = await env.sam.state([good.credentialID, bad.credentialID]);
    expect(states.map((s) => s.credentialID)).toEqual([good.credentialID]);
  });

  it('seals rows written before it existed only when its key is created, never on a later start', async () => {
    const s = await newSigner(env);
    await env.db.query('UPDATE sam.credentials SET seal = NULL WHERE credential_id = $1', [s.credentialID]);
    // A restart with the key already in the HSM: the blanked row stays unsealed and refused.
    await ensureCredentialSeal(env.hsm, env.db, createLogger('silent'));
    await expectRefusal(env, 'SAM_CREDENTIAL_TAMPERED', activateWith(s));
    // A token without the key (the first start after migration 015): rows without a seal are sealed as they stand.
    const fresh = createFakeHsm();
    expect(await fresh.findKeyPair(CREDENTIAL_SEAL_LABEL)).toBeNull();
    const seal = await ensureCredentialSeal(fresh, env.db, createLogger('silent'));
    const { rows } = await env.db.query<CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM sam.credentials WHERE credential_id = $1`, [s.credentialID]);
    expect(rows[0]!.seal).not.toBeNull();
    expect(credentialFromRow(rows[0]!, seal).credentialId).toBe(s.credentialID);
  });
});

// Issue #14 finding 7: "same timing on the API". A wrong OTP is judged after the right PIN's scrypt, an HSM
// decryption and more queries; without a floor it answers later than a wrong PIN, which tells a guesser the PIN was
// right. Only lower bounds are asserted (no wall-clock window): each refusal takes at least the floor.
describe('refusals for a wrong factor', () => {
  let slow: Env;
  beforeAll(async () => {
    slow = await setup({ factorFailureFloorMs: 300 });
  });
  afterAll(async () => {
    await slow?.close();
  });

  it('take at least FACTOR_FAILURE_FLOOR_MS, whether the PIN or the one-time password was wrong', async () => {
    const s = await newSigner(slow);
    const attempt = async (factors: { pin: string; otp: string }) => {
      slow.clock.advance(30);
      const t0 = performance.now();
      const err = await slow.sam
        .activate({ ctx: ctx(), userId: s.userId, clientId: 'client-a', credentialID: s.credentialID, numSignatures: 1, hashes: [digest('x')], hashAlgorithmOID: SHA256, factors })
        .then(() => null, (e: { code: string }) => e.code);
      return { err, ms: performance.now() - t0 };
    };
    const wrongPin = await attempt({ pin: 'not-the-pin', otp: '000000' });
    slow.clock.advance(30);
    const wrongOtp = await attempt({ pin: s.pin, otp: (await otpAt(slow, s, 5)).padStart(6, '0') });
    expect(wrongPin.err).toBe('SAM_PIN_INVALID');
    expect(wrongOtp.err).toBe('SAM_OTP_INVALID');
    expect(wrongPin.ms).toBeGreaterThanOrEqual(295);
    expect(wrongOtp.ms).toBeGreaterThanOrEqual(295);
  });
});
