// Credential administration in the SAM: creation (key in the HSM, certificate, PIN as scrypt), CSR, installing
// an external chain, enable/disable, unlock, state; TOTP enrolment with the seed encrypted under the HSM key.
import { execFileSync } from 'node:child_process';
import { createPublicKey, randomUUID, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/log.ts';
import { SamError } from '../../../core/sam_port.ts';
import { verifySecret } from '../../../core/slow_hash.ts';
import { ensureDevCa } from '../../../sam/ca/dev_ca.ts';
import { ensureSamKeys } from '../../../sam/app/sad/sam_keys.ts';
import { createSamOnHsm } from '../../../sam/assemble.ts';
import { ctx, memoryCaStore, newSigner, otpAt, seedOf, setup, type Env } from './helpers.ts';
import { createFakeHsm } from '../../unit/sam/fake_hsm.ts';

let env: Env;
beforeAll(async () => {
  env = await setup();
});
afterAll(async () => env.close());

describe('createCredential', () => {
  it('generates the key in the HSM, has the CA certify it, and returns [end-entity, root]', async () => {
    const s = await newSigner(env, { algo: 'RSA-2048' });
    const ee = new X509Certificate(s.certificates[0]!);
    const root = new X509Certificate(s.certificates[1]!);
    expect(Buffer.from(s.certificates[1]!).equals(Buffer.from(await env.sam.caCertificate()))).toBe(true);
    expect(ee.publicKey.export({ format: 'der', type: 'spki' }).equals(Buffer.from(s.publicKeySpki))).toBe(true);
    expect(ee.subject).toContain('CN=Alice Test');
    expect(ee.verify(root.publicKey)).toBe(true);
    expect(ee.checkIssued(root)).toBe(true);
    const { rows } = await env.db.query('SELECT key_id, spki, not_before, not_after FROM sam.credentials WHERE credential_id = $1', [s.credentialID]);
    expect(Buffer.from(rows[0].spki).equals(Buffer.from(s.publicKeySpki))).toBe(true);
    expect(rows[0].not_before).toEqual(new Date(ee.validFrom));
    expect(rows[0].not_after).toEqual(new Date(ee.validTo));
    expect(await env.hsm.findKeyPair(s.credentialID)).toEqual({ keyId: rows[0].key_id, spki: s.publicKeySpki });
  });

  it('stores the PIN only as an scrypt hash', async () => {
    const s = await newSigner(env);
    const { rows } = await env.db.query('SELECT pin_hash FROM sam.credentials WHERE credential_id = $1', [s.credentialID]);
    const hash: string = rows[0].pin_hash;
    expect(hash).not.toContain(s.pin);
    const [kind, n, r, p, salt, key] = hash.split('$');
    expect(kind).toBe('scrypt');
    expect(Number(n)).toBe(2 ** 15);
    expect([r, p]).toEqual(['8', '1']);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64')).toHaveLength(32);
    expect(await verifySecret(s.pin, hash)).toBe(true);
    expect(await verifySecret(s.pin + 'x', hash)).toBe(false);
  });

  it('hashes new PINs at the configured scrypt cost, and still checks them', async () => {
    const cheap = await setup({ pinScryptLog2N: 10 });
    try {
      const s = await newSigner(cheap);
      const { rows } = await cheap.db.query('SELECT pin_hash FROM sam.credentials WHERE credential_id = $1', [s.credentialID]);
      expect(rows[0].pin_hash.split('$').slice(0, 4)).toEqual(['scrypt', '1024', '8', '1']);
      expect(await verifySecret(s.pin, rows[0].pin_hash)).toBe(true);
    } finally {
      await cheap.close();
    }
  });

  it('refuses an id already bound (SAM_CREDENTIAL_EXISTS) and an empty PIN (SAM_FACTORS_MISSING)', async () => {
    const s = await newSigner(env);
    const cmd = { ctx: ctx(), credentialID: s.credentialID, ownerId: s.userId, algo: 'EC-P256' as const, pin: '1234', subject: { commonName: 'X' }, scal: '2' as const, multisign: 1 };
    await expect(env.sam.createCredential(cmd)).rejects.toMatchObject({ code: 'SAM_CREDENTIAL_EXISTS' });
    await expect(env.sam.createCredential({ ...cmd, credentialID: `c-${randomUUID()}`, pin: '' })).rejects.toMatchObject({ code: 'SAM_FACTORS_MISSING' });
  });

  it('refuses a malformed subject before generating a key', async () => {
    const id = `c-${randomUUID()}`;
    await expect(
      env.sam.createCredential({ ctx: ctx(), credentialID: id, ownerId: 'u', algo: 'EC-P256', pin: '1234', subject: { commonName: ' ' }, scal: '2', multisign: 1 }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(await env.hsm.findKeyPair(id)).toBeNull();
  });
});

describe('createCredential under a certificate policy (CSC v2.2 credentialCreationRequest.certificatePolicy)', () => {
  const QCP_N_QSCD = '0.4.0.194112.1.2';
  const cmd = () => ({
    ctx: ctx(), credentialID: `c-${randomUUID()}`, ownerId: `u-${randomUUID()}`, algo: 'EC-P256' as const, pin: '1234',
    subject: { commonName: 'Q' }, scal: '2' as const, multisign: 1, origin: 'csc' as const,
  });

  it('refuses a policy its CA does not issue under before generating a key', async () => {
    const c = cmd();
    await expect(env.sam.createCredential({ ...c, certificatePolicy: QCP_N_QSCD })).rejects.toMatchObject({
      code: 'SAM_CREDENTIAL_POLICY_INVALID',
      detail: `the CA does not issue under certificate policy ${QCP_N_QSCD}`,
    });
    expect(await env.hsm.findKeyPair(c.credentialID)).toBeNull();
  });

  it('has a CA that issues under the policy name it, and audits it', async () => {
    const offering = await setup({ certificatePolicies: [QCP_N_QSCD] });
    try {
      const c = cmd();
      const { certificates } = await offering.sam.createCredential({ ...c, certificatePolicy: QCP_N_QSCD });
      const text = execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], { input: Buffer.from(certificates[0]!) }).toString();
      expect(text).toMatch(/X509v3 Certificate Policies:\s+Policy: 0\.4\.0\.194112\.1\.2\n/);
      const { rows } = await offering.db.query(
        `SELECT detail::jsonb->>'certificatePolicy' AS policy FROM sam.audit WHERE credential_id = $1 AND event = 'credential.create'`,
        [c.credentialID],
      );
      expect(rows).toEqual([{ policy: QCP_N_QSCD }]);
    } finally {
      await offering.close();
    }
  });
});

describe('state, setEnabled, unlock', () => {
  it('publishes algorithms, key length, curve, validity and flags, in the order asked, leaving out unknown ids', async () => {
    const ec = await newSigner(env, { algo: 'EC-P384' });
    const rsa = await newSigner(env, { algo: 'RSA-3072', pssOnly: true });
    const states = await env.sam.state([rsa.credentialID, 'unknown', ec.credentialID]);
    expect(states.map((x) => x.credentialID)).toEqual([rsa.credentialID, ec.credentialID]);
    const ee = new X509Certificate(ec.certificates[0]!);
    expect(states[1]).toEqual({
      credentialID: ec.credentialID,
      ownerId: ec.userId,
      keyAlgo: 'EC-P384',
      signAlgos: ['1.2.840.10045.4.3.2', '1.2.840.10045.4.3.3', '1.2.840.10045.4.3.4', '1.2.840.10045.2.1'],
      keyLength: 384,
      curve: '1.3.132.0.34',
      enabled: true,
      locked: false,
      notBefore: new Date(ee.validFrom).toISOString(),
      notAfter: new Date(ee.validTo).toISOString(),
      hasPin: true,
      otpChannel: 'totp',
      approval: 'inline',
    });
    expect(states[0]).toMatchObject({ keyAlgo: 'RSA-3072', keyLength: 3072, signAlgos: ['1.2.840.113549.1.1.10'] });
    expect(states[0]!.curve).toBeUndefined();
  });

  it('setEnabled toggles; unknown ids are SAM_CREDENTIAL_UNKNOWN', async () => {
    const s = await newSigner(env);
    await env.sam.setEnabled({ ctx: ctx(), credentialID: s.credentialID, enabled: false });
    expect((await env.sam.state([s.credentialID]))[0]!.enabled).toBe(false);
    await env.sam.setEnabled({ ctx: ctx(), credentialID: s.credentialID, enabled: true });
    expect((await env.sam.state([s.credentialID]))[0]!.enabled).toBe(true);
    await expect(env.sam.setEnabled({ ctx: ctx(), credentialID: 'nope', enabled: true })).rejects.toMatchObject({ code: 'SAM_CREDENTIAL_UNKNOWN' });
    await expect(env.sam.unlock({ ctx: ctx(), credentialID: 'nope' })).rejects.toMatchObject({ code: 'SAM_CREDENTIAL_UNKNOWN' });
  });
});

describe('createCsr and installCertificates', () => {
  it('makes a PKCS#10 request signed by the credential key', async () => {
    const s = await newSigner(env, { algo: 'EC-P256' });
    const { csr } = await env.sam.createCsr({ ctx: ctx(), credentialID: s.credentialID, subject: { commonName: 'Alice External' } });
    // openssl checks the self-signature (proof of possession) and prints the subject and key
    const out = execFileSync('openssl', ['req', '-inform', 'DER', '-verify', '-noout', '-subject', '-pubkey'], { input: Buffer.from(csr) }).toString();
    expect(out).toContain('subject=CN = Alice External');
    const pem = out.slice(out.indexOf('-----BEGIN PUBLIC KEY-----'), out.indexOf('-----END PUBLIC KEY-----') + 24);
    expect(createPublicKey(pem).export({ format: 'der', type: 'spki' }).equals(Buffer.from(s.publicKeySpki))).toBe(true);
    await expect(env.sam.createCsr({ ctx: ctx(), credentialID: 'nope' })).rejects.toMatchObject({ code: 'SAM_CREDENTIAL_UNKNOWN' });
  });

  it('binds a chain from another CA for the same key and records its validity', async () => {
    const s = await newSigner(env);
    const other = await ensureDevCa(env.hsm, memoryCaStore(), { label: `ext-ca-${randomUUID()}`, commonName: 'External CA', now: env.clock.now });
    const ee = await other.issue({ spki: s.publicKeySpki, subject: { commonName: 'Alice' }, validityDays: 30 });
    const res = await env.sam.installCertificates({ ctx: ctx(), credentialID: s.credentialID, certificates: [ee, other.certificate] });
    const cert = new X509Certificate(ee);
    expect(res).toEqual({ notBefore: new Date(cert.validFrom).toISOString(), notAfter: new Date(cert.validTo).toISOString() });
    expect(new Date(res.notAfter).getTime() - new Date(res.notBefore).getTime()).toBe(30 * 86_400_000);
    expect((await env.sam.state([s.credentialID]))[0]).toMatchObject(res);
  });

  it('refuses a chain for another key (SAM_CERT_MISMATCH) and leaves the validity as it was', async () => {
    const s = await newSigner(env);
    const t = await newSigner(env);
    const before = (await env.sam.state([s.credentialID]))[0]!;
    const err = await env.sam.installCertificates({ ctx: ctx(), credentialID: s.credentialID, certificates: t.certificates }).catch((e) => e);
    expect(err).toBeInstanceOf(SamError);
    expect(err.code).toBe('SAM_CERT_MISMATCH');
    expect((await env.sam.state([s.credentialID]))[0]).toEqual(before);
  });
});

describe('enrollOtp', () => {
  it('returns a base32 secret of 20 bytes and an otpauth URI; stores the seed only encrypted, bound to the user', async () => {
    const s = await newSigner(env);
    const seed = seedOf(s);
    expect(seed).toHaveLength(20);
    const { rows } = await env.db.query('SELECT seed_enc, last_step FROM sam.otp WHERE user_id = $1', [s.userId]);
    const enc: Buffer = rows[0].seed_enc;
    expect(enc.includes(Buffer.from(seed))).toBe(false);
    expect(Buffer.from(await env.hsm.decrypt('rssp-otp-seed-wrap', enc, Buffer.from(s.userId))).equals(Buffer.from(seed))).toBe(true);
    // copied to another user, the row does not decrypt (AAD = user id)
    await expect(env.hsm.decrypt('rssp-otp-seed-wrap', enc, Buffer.from('someone-else'))).rejects.toThrow('CKR_ENCRYPTED_DATA_INVALID');
    const { otpauthUri } = await env.sam.enrollOtp({ ctx: ctx(), userId: s.userId, accountName: 'alice@example.org' });
    const uri = new URL(otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/RSSP:alice@example.org');
    expect(uri.searchParams.get('issuer')).toBe('RSSP');
    expect(uri.searchParams.get('secret')).toMatch(/^[A-Z2-7]{32}$/);
  });

  it('re-enrolling replaces the seed: the old secret stops working, the new one works', async () => {
    const s = await newSigner(env, { scal: '1' });
    const { secret } = await env.sam.enrollOtp({ ctx: ctx(), userId: s.userId, accountName: 'a' });
    env.clock.advance(30);
    const activate = (otp: string) =>
      env.sam.activate({ ctx: ctx(), userId: s.userId, clientId: 'c', credentialID: s.credentialID, numSignatures: 1, factors: { pin: s.pin, otp } });
    await expect(activate(await otpAt(env, s))).rejects.toMatchObject({ code: 'SAM_OTP_INVALID' });
    await expect(activate(await otpAt(env, { ...s, secret }))).resolves.toHaveProperty('sad');
  });
});

describe('createSamOnHsm without a CA', () => {
  it('starts the development CA over sam.ca, scoped to the token, and finds the same root on the next start', async () => {
    const log = createLogger('silent');
    const config = { tokenLabel: 't', sessions: 1, sadLifetimeSeconds: 300, maxFailures: 5 };
    const hsm = createFakeHsm();
    const first = await createSamOnHsm({ db: env.db, hsm, config, log });
    const root = await first.caCertificate();
    expect(new X509Certificate(root).subject).toContain('CN=RSSP Development CA');
    expect(await hsm.findKeyPair('rssp-sad-signing')).not.toBeNull();
    expect(await hsm.findKeyPair('rssp-dev-ca')).not.toBeNull();
    const kid = (await ensureSamKeys(hsm)).sadKid;
    const { rows } = await env.db.query('SELECT der FROM sam.ca WHERE label = $1', [`rssp-dev-ca@${kid}`]);
    expect(Buffer.from(rows[0].der).equals(Buffer.from(root))).toBe(true);

    const again = await createSamOnHsm({ db: env.db, hsm, config, log });
    expect(Buffer.from(await again.caCertificate()).equals(Buffer.from(root))).toBe(true);

    // another token on the same database gets a root of its own rather than a key-mismatch refusal
    const other = await createSamOnHsm({ db: env.db, hsm: createFakeHsm(), config, log });
    expect(Buffer.from(await other.caCertificate()).equals(Buffer.from(root))).toBe(false);
  });
});
