// Issue #2, "How it will be checked": the explicit flow of CSC v2 §8.3 black-box over HTTP, against the service
// as a separate process on SoftHSM, the machine's PostgreSQL and Redis, set up with the admin CLI.
import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { id_mgf1, RsaSaPssParams, sha256 } from '@peculiar/asn1-rsa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, csc, opensslVerify, opensslVerifyChain, pem, type Server, startServer, totp } from './harness.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const SHA384 = '2.16.840.1.101.3.4.2.2';
const OID = {
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  rsaSha256: '1.2.840.113549.1.1.11',
  rsaSha384: '1.2.840.113549.1.1.12',
  pss: '1.2.840.113549.1.1.10',
  rsaEncryption: '1.2.840.113549.1.1.1',
};

let server: Server;

type Signer = { username: string; password: string; userId: string; otpSecret: string; token: string };

async function newSigner(): Promise<Signer> {
  const username = `alice-${randomBytes(4).toString('hex')}`;
  const password = 'correct horse battery';
  const created = await admin(server, 'user:create', '--username', username, '--password', password, '--name', 'Alice Example', '--email', `${username}@example.org`);
  expect(created.code, created.stderr).toBe(0);
  const enrolled = await admin(server, 'otp:enroll', '--username', username);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  expect(enrolled.json.secret).toMatch(/^[A-Z2-7]+=*$/);
  expect(enrolled.json.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
  const login = await csc(server, 'auth/login', {}, { basic: [username, password] });
  expect(login.status).toBe(200);
  return { username, password, userId: created.json.userId, otpSecret: enrolled.json.secret, token: login.body.access_token };
}

async function newCredential(signer: Signer, algo: string, extra: string[] = []): Promise<string> {
  const res = await admin(server, 'credential:create', '--username', signer.username, '--algo', algo, '--pin', '123456', ...extra);
  expect(res.code, res.stderr).toBe(0);
  expect(typeof res.json.credentialID).toBe('string');
  return res.json.credentialID;
}

const digest = (data: string, alg = 'sha256') => createHash(alg).update(data).digest();
const b64 = (b: Buffer) => b.toString('base64');

async function authorize(signer: Signer, credentialID: string, hashes: Buffer[], opts: { otpOffset?: number; pin?: string; hashAlgorithmOID?: string; numSignatures?: number } = {}) {
  return csc(
    server,
    'credentials/authorize',
    {
      credentialID,
      numSignatures: opts.numSignatures ?? hashes.length,
      hashes: hashes.map(b64),
      hashAlgorithmOID: opts.hashAlgorithmOID ?? SHA256,
      authData: [
        { id: 'PIN', value: opts.pin ?? '123456' },
        { id: 'OTP', value: await totp(signer.otpSecret, opts.otpOffset ?? 0) },
      ],
    },
    { bearer: signer.token },
  );
}

async function signHash(signer: Signer, credentialID: string, sad: string, hashes: Buffer[], signAlgo: string, extra: Record<string, unknown> = {}) {
  return csc(server, 'signatures/signHash', { credentialID, SAD: sad, hashes: hashes.map(b64), signAlgo, ...extra }, { bearer: signer.token });
}

beforeAll(async () => {
  server = await startServer();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('explicit flow, each key type', () => {
  const pssParams = Buffer.from(
    AsnConvert.serialize(
      new RsaSaPssParams({
        hashAlgorithm: sha256,
        maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: id_mgf1, parameters: AsnConvert.serialize(sha256) }),
        saltLength: 32,
      }),
    ),
  ).toString('base64');

  const cases = [
    { algo: 'ES256', signAlgo: OID.ecdsaSha256, hash: 'sha256' as const, hashOid: SHA256 },
    { algo: 'ES384', signAlgo: OID.ecdsaSha384, hash: 'sha384' as const, hashOid: SHA384 },
    { algo: 'RS256', signAlgo: OID.rsaSha256, hash: 'sha256' as const, hashOid: SHA256 },
    { algo: 'RS384', signAlgo: OID.rsaSha384, hash: 'sha384' as const, hashOid: SHA384, extra: ['--rsa-bits', '3072'] },
    { algo: 'PS256', signAlgo: OID.pss, hash: 'sha256' as const, hashOid: SHA256, pss: true },
  ];

  for (const c of cases) {
    it(`${c.algo}: list, info, authorize 3 hashes with PIN + TOTP, signHash, openssl verifies under a chained certificate`, async () => {
      const signer = await newSigner();
      const credentialID = await newCredential(signer, c.algo, [...(c.extra ?? []), '--multisign', '3']);

      const list = await csc(server, 'credentials/list', {}, { bearer: signer.token });
      expect(list.status).toBe(200);
      expect(list.body.credentialIDs).toEqual([credentialID]);

      const info = await csc(server, 'credentials/info', { credentialID, certificates: 'chain', certInfo: true, authInfo: true }, { bearer: signer.token });
      expect(info.status).toBe(200);
      expect(info.body.SCAL).toBe('2');
      expect(info.body.key.status).toBe('enabled');
      expect(info.body.key.algo).toContain(c.signAlgo);
      expect(info.body.cert.certificates).toHaveLength(2);
      expect(info.body.cert.subjectDN).toContain('Alice Example');
      expect(info.body.auth.mode).toBe('explicit');
      const [leaf, root] = info.body.cert.certificates.map((b: string) => pem(b));
      expect(await opensslVerifyChain(root, leaf)).toBe(true);

      const hashes = ['doc one', 'doc two', 'doc three'].map((d) => digest(d, c.hash));
      const auth = await authorize(signer, credentialID, hashes, { hashAlgorithmOID: c.hashOid });
      expect(auth.status).toBe(200);
      expect(typeof auth.body.SAD).toBe('string');
      expect(auth.body.expiresIn).toBeGreaterThan(0);

      const signed = await signHash(signer, credentialID, auth.body.SAD, hashes, c.signAlgo, c.pss ? { signAlgoParams: pssParams, hashAlgorithmOID: SHA256 } : {});
      expect(signed.status).toBe(200);
      expect(signed.body.signatures).toHaveLength(3);
      for (const [i, sig] of (signed.body.signatures as string[]).entries()) {
        expect(sig).toMatch(/^[A-Za-z0-9+/]+=*$/); // standard base64, DESIGN §8
        const ok = await opensslVerify({ certPem: leaf, digest: hashes[i]!, signature: Buffer.from(sig, 'base64'), hash: c.hash, pss: c.pss ? { saltLength: 32 } : undefined });
        expect(ok, `signature ${i} verifies`).toBe(true);
      }

      // A 4th use of an n=3 SAD is refused.
      const again = await signHash(signer, credentialID, auth.body.SAD, [hashes[0]!], c.signAlgo, c.pss ? { signAlgoParams: pssParams, hashAlgorithmOID: SHA256 } : {});
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_request');
    }, 60_000);
  }
});

describe('refusals', () => {
  let alice: Signer;
  let bob: Signer;
  let aliceCred: string;
  let bobCred: string;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([newSigner(), newSigner()]);
    [aliceCred, bobCred] = await Promise.all([newCredential(alice, 'ES256', ['--multisign', '5']), newCredential(bob, 'ES256')]);
  }, 60_000);

  it('a hash not in the SAD', async () => {
    const auth = await authorize(alice, aliceCred, [digest('a')], { otpOffset: -1 });
    expect(auth.status).toBe(200);
    const res = await signHash(alice, aliceCred, auth.body.SAD, [digest('b')], OID.ecdsaSha256);
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Hash is not authorized by the SAD' } });
  });

  it('a wrong-length hash', async () => {
    const auth = await authorize(alice, aliceCred, [digest('a')], { otpOffset: 0 });
    const res = await signHash(alice, aliceCred, auth.body.SAD, [Buffer.alloc(20, 1)], OID.ecdsaSha256);
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid digest value length' } });
  });

  it('a SAD for another credential, another user, and a token of A on B', async () => {
    const bobAuth = await authorize(bob, bobCred, [digest('x')], { otpOffset: -1 });
    expect(bobAuth.status).toBe(200);
    // Bob's SAD presented by Alice for her own credential.
    const a = await signHash(alice, aliceCred, bobAuth.body.SAD, [digest('x')], OID.ecdsaSha256);
    expect(a).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter SAD' } });
    // Alice's token on Bob's credential, with Bob's SAD.
    const b = await signHash(alice, bobCred, bobAuth.body.SAD, [digest('x')], OID.ecdsaSha256);
    expect(b).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter credentialID' } });
    const info = await csc(server, 'credentials/info', { credentialID: bobCred }, { bearer: alice.token });
    expect(info).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter credentialID' } });
    // Bob can still use it: the refusals consumed nothing.
    const ok = await signHash(bob, bobCred, bobAuth.body.SAD, [digest('x')], OID.ecdsaSha256);
    expect(ok.status).toBe(200);
  });

  it('a reused TOTP step', async () => {
    const code = await totp(bob.otpSecret, 1);
    const body = (h: string) => ({ credentialID: bobCred, numSignatures: 1, hashes: [b64(digest(h))], hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '123456' }, { id: 'OTP', value: code }] });
    const first = await csc(server, 'credentials/authorize', body('p'), { bearer: bob.token });
    expect(first.status).toBe(200);
    const second = await csc(server, 'credentials/authorize', body('q'), { bearer: bob.token });
    expect(second).toMatchObject({ status: 400, body: { error: 'invalid_authentication_data', error_description: 'The authentication data is invalid' } });
  });

  it('numSignatures above multisign', async () => {
    const hashes = Array.from({ length: 6 }, (_, i) => digest(`m${i}`));
    const res = await authorize(alice, aliceCred, hashes, { otpOffset: 1 });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Numbers of signatures is too high' } });
  });

  it('5 wrong OTPs lock the credential, the right factors are then refused, an admin unlock restores', async () => {
    const carol = await newSigner();
    const cred = await newCredential(carol, 'ES256');
    for (let i = 0; i < 5; i++) {
      const res = await csc(server, 'credentials/authorize', { credentialID: cred, numSignatures: 1, hashes: [b64(digest('l'))], hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '123456' }, { id: 'OTP', value: '000000' }] }, { bearer: carol.token });
      expect(res.body.error).toBe('invalid_authentication_data');
    }
    const locked = await authorize(carol, cred, [digest('l')], { otpOffset: 0 });
    expect(locked).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Credential locked' } });
    const unlocked = await admin(server, 'credential:unlock', '--id', cred);
    expect(unlocked.code, unlocked.stderr).toBe(0);
    const ok = await authorize(carol, cred, [digest('l')], { otpOffset: 1 });
    expect(ok.status).toBe(200);
  });

  it('a disabled credential', async () => {
    const dave = await newSigner();
    const cred = await newCredential(dave, 'ES256');
    const auth = await authorize(dave, cred, [digest('d')], { otpOffset: -1 });
    expect(auth.status).toBe(200);
    expect((await admin(server, 'credential:disable', '--id', cred)).code).toBe(0);
    const sign = await signHash(dave, cred, auth.body.SAD, [digest('d')], OID.ecdsaSha256);
    expect(sign).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'The credential identified by credentialID is disabled' } });
    const again = await authorize(dave, cred, [digest('d')], { otpOffset: 0 });
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'The credential identified by credentialID is disabled' } });
    const info = await csc(server, 'credentials/info', { credentialID: cred }, { bearer: dave.token });
    expect(info.body.key.status).toBe('disabled');
    expect((await admin(server, 'credential:enable', '--id', cred)).code).toBe(0);
    const back = await authorize(dave, cred, [digest('d')], { otpOffset: 1 });
    expect(back.status).toBe(200);
  });

  it('20 parallel signHash calls with one n=1 SAD give exactly one signature', async () => {
    const erin = await newSigner();
    const cred = await newCredential(erin, 'ES256');
    const h = digest('race');
    const auth = await authorize(erin, cred, [h]);
    const results = await Promise.all(Array.from({ length: 20 }, () => signHash(erin, cred, auth.body.SAD, [h], OID.ecdsaSha256)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400)).toHaveLength(19);
  });

  it('no malformed request produces a 500, and the service keeps answering', async () => {
    const bodies: unknown[] = [null, [], 'x', 1, { credentialID: 1 }, { credentialID: null }, { credentialID: aliceCred, hashes: 'x' }, { credentialID: aliceCred, hashes: [1] }, { credentialID: aliceCred, hashes: ['!!'], SAD: 'x', signAlgo: OID.ecdsaSha256 }, { credentialID: aliceCred, SAD: 'a.b.c', hashes: [b64(digest('z'))], signAlgo: '1.2.3' }, { credentialID: aliceCred, numSignatures: 1e300 }, { credentialID: 'x'.repeat(10_000) }];
    for (const op of ['credentials/list', 'credentials/info', 'credentials/authorize', 'signatures/signHash', 'auth/revoke'] as const) {
      for (const body of bodies) {
        const res = await fetch(`${server.url}/csc/v2/${op}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` }, body: JSON.stringify(body) });
        expect(res.status, `${op} ${JSON.stringify(body).slice(0, 80)}`).toBeLessThan(500);
        // Unknown fields are ignored (openapi/csc-v2.yaml), so some of these are valid requests; refusals carry an error.
        const json = (await res.json()) as { error?: unknown };
        if (res.status >= 400) expect(typeof json.error).toBe('string');
      }
    }
    const garbage = await fetch(`${server.url}/csc/v2/signatures/signHash`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` }, body: '{"credentialID":' });
    expect(garbage.status).toBe(400);
    const info = await csc(server, 'info', {});
    expect(info.status).toBe(200);
  });
});
