// Issue #5 item 1: a CSC v1.0.4.0 client flow black-box against /csc/v1 of the service started as a process —
// login, list with paging, info in the v1 shape, authorize with PIN + TOTP, signHash with ES256, RS256 PKCS#1 v1.5
// and RSASSA-PSS, every signature verified by openssl under the returned certificate; then the v1 refusals.
import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { id_mgf1, RsaSaPssParams, sha256 } from '@peculiar/asn1-rsa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, opensslVerify, opensslVerifyChain, pem, type Server, startServer, totp } from './harness.ts';
import { v1 } from './v1_client.ts';

const OID = {
  sha256: '2.16.840.1.101.3.4.2.1',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  ecdsaSha512: '1.2.840.10045.4.3.4',
  rsaSha256: '1.2.840.113549.1.1.11',
  rsaSha384: '1.2.840.113549.1.1.12',
  rsaSha512: '1.2.840.113549.1.1.13',
  pss: '1.2.840.113549.1.1.10',
  rsaEncryption: '1.2.840.113549.1.1.1',
  p256: '1.2.840.10045.3.1.7',
};

const PSS_PARAMS = Buffer.from(
  AsnConvert.serialize(
    new RsaSaPssParams({
      hashAlgorithm: sha256,
      maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: id_mgf1, parameters: AsnConvert.serialize(sha256) }),
      saltLength: 32,
    }),
  ),
).toString('base64');

let server: Server;

type Signer = { username: string; otpSecret: string; token: string };

async function newSigner(): Promise<Signer> {
  const username = `v1-${randomBytes(4).toString('hex')}`;
  const password = 'correct horse battery';
  const created = await admin(server, 'user:create', '--username', username, '--password', password, '--name', 'Victor One', '--email', `${username}@example.org`);
  expect(created.code, created.stderr).toBe(0);
  const enrolled = await admin(server, 'otp:enroll', '--username', username);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  const login = await v1(server, 'auth/login', {}, { basic: [username, password] });
  expect(login.status).toBe(200);
  expect(typeof login.body.access_token).toBe('string');
  return { username, otpSecret: enrolled.json.secret, token: login.body.access_token };
}

async function newCredential(signer: Signer, algo: string, multisign = 3): Promise<string> {
  const res = await admin(server, 'credential:create', '--username', signer.username, '--algo', algo, '--pin', '123456', '--multisign', String(multisign));
  expect(res.code, res.stderr).toBe(0);
  return res.json.credentialID;
}

const digest = (data: string) => createHash('sha256').update(data).digest();
const b64 = (b: Buffer) => b.toString('base64');

async function authorize(signer: Signer, credentialID: string, hashes: Buffer[], otpOffset: number, pin = '123456') {
  return v1(
    server,
    'credentials/authorize',
    { credentialID, numSignatures: hashes.length, hash: hashes.map(b64), PIN: pin, OTP: await totp(signer.otpSecret, otpOffset), description: 'v1 test', clientData: 'tx-1' },
    { bearer: signer.token },
  );
}

beforeAll(async () => {
  // The in-process store instead of the machine's Redis: auth/login failures are throttled per source IP, and on
  // the shared Redis every test run from 127.0.0.1 (including those that test the throttle) counts against ours.
  server = await startServer({ REDIS_URL: '' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('CSC v1 client flow', () => {
  let signer: Signer;
  let ecCred: string;
  let rsaCred: string;
  let thirdCred: string;

  beforeAll(async () => {
    signer = await newSigner();
    [ecCred, rsaCred, thirdCred] = await Promise.all([newCredential(signer, 'ES256'), newCredential(signer, 'RS256'), newCredential(signer, 'ES256', 1)]);
  }, 60_000);

  it('info describes the v1 service without authorization', async () => {
    const res = await v1(server, 'info', {});
    expect(res.status).toBe(200);
    expect(res.body.specs).toBe('1.0.4.0');
    expect(res.body.authType).toContain('basic');
    expect(res.body.methods).toEqual(
      expect.arrayContaining(['auth/login', 'auth/revoke', 'credentials/list', 'credentials/info', 'credentials/authorize', 'credentials/sendOTP', 'credentials/extendTransaction', 'signatures/signHash']),
    );
  });

  it('credentials/list pages with maxResults and nextPageToken, and refuses a forged pageToken', async () => {
    const first = await v1(server, 'credentials/list', { maxResults: 2 }, { bearer: signer.token });
    expect(first.status).toBe(200);
    expect(first.body.credentialIDs).toHaveLength(2);
    expect(typeof first.body.nextPageToken).toBe('string');
    const second = await v1(server, 'credentials/list', { maxResults: 2, pageToken: first.body.nextPageToken }, { bearer: signer.token });
    expect(second.status).toBe(200);
    expect(second.body.credentialIDs).toHaveLength(1);
    expect(second.body.nextPageToken).toBeUndefined();
    expect([...first.body.credentialIDs, ...second.body.credentialIDs].sort()).toEqual([ecCred, rsaCred, thirdCred].sort());
    const all = await v1(server, 'credentials/list', {}, { bearer: signer.token });
    expect(all.body).toEqual({ credentialIDs: [...first.body.credentialIDs, ...second.body.credentialIDs] });
    const forged = await v1(server, 'credentials/list', { pageToken: 'not-a-token' }, { bearer: signer.token });
    expect(forged).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter pageToken' } });
    const zero = await v1(server, 'credentials/list', { maxResults: 0 }, { bearer: signer.token });
    expect(zero).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter maxResults' } });
  });

  it('credentials/info answers in the v1 shape, with combined OIDs, PIN and OTP groups, multisign as a number', async () => {
    const ec = await v1(server, 'credentials/info', { credentialID: ecCred, certificates: 'chain', certInfo: true, authInfo: true }, { bearer: signer.token });
    expect(ec.status).toBe(200);
    expect(ec.body.key).toEqual({ status: 'enabled', algo: [OID.ecdsaSha256, OID.ecdsaSha384, OID.ecdsaSha512, '1.2.840.10045.2.1'], len: 256, curve: OID.p256 });
    expect(ec.body.authMode).toBe('explicit');
    expect(ec.body.SCAL).toBe('2');
    expect(ec.body.multisign).toBe(3);
    expect(ec.body.PIN).toMatchObject({ presence: 'true', format: 'N' });
    expect(ec.body.OTP).toMatchObject({ presence: 'true', type: 'offline', format: 'N', ID: 'totp' });
    expect(ec.body.auth).toBeUndefined();
    expect(ec.body.cert.status).toBe('valid');
    expect(ec.body.cert.certificates).toHaveLength(2);
    expect(ec.body.cert.subjectDN).toContain('Victor One');
    expect(ec.body.cert.validTo).toMatch(/^\d{14}Z$/);
    const [leaf, root] = ec.body.cert.certificates.map((c: string) => pem(c));
    expect(await opensslVerifyChain(root, leaf)).toBe(true);

    const rsa = await v1(server, 'credentials/info', { credentialID: rsaCred }, { bearer: signer.token });
    expect(rsa.body.key.algo).toEqual(expect.arrayContaining([OID.rsaSha256, OID.rsaSha384, OID.rsaSha512, OID.pss]));
    expect(rsa.body.key.len).toBe(2048);
    expect(rsa.body.key.curve).toBeUndefined();
    expect(rsa.body.cert.certificates).toHaveLength(1);
    // Without authInfo the PIN and OTP groups are left out.
    expect(rsa.body.PIN).toBeUndefined();
    expect(rsa.body.OTP).toBeUndefined();
  });

  const cases = [
    { name: 'ES256 (DER ECDSA)', cred: () => ecCred, signAlgo: OID.ecdsaSha256, otp: -1 },
    { name: 'RS256 PKCS#1 v1.5 over the DigestInfo', cred: () => rsaCred, signAlgo: OID.rsaSha256, otp: 0 },
    { name: 'RSASSA-PSS', cred: () => rsaCred, signAlgo: OID.pss, otp: 1, extra: { signAlgoParams: PSS_PARAMS, hashAlgo: OID.sha256 }, pss: true },
  ];
  for (const c of cases) {
    it(`${c.name}: authorize 3 hashes with PIN + OTP, signHash, openssl verifies each signature`, async () => {
      const credentialID = c.cred();
      const info = await v1(server, 'credentials/info', { credentialID }, { bearer: signer.token });
      const leaf = pem(info.body.cert.certificates[0]);
      const hashes = ['one', 'two', 'three'].map((d) => digest(`${c.name} ${d}`));
      const auth = await authorize(signer, credentialID, hashes, c.otp);
      expect(auth.status).toBe(200);
      expect(typeof auth.body.SAD).toBe('string');
      expect(auth.body.expiresIn).toBeGreaterThan(0);

      const signed = await v1(server, 'signatures/signHash', { credentialID, SAD: auth.body.SAD, hash: hashes.map(b64), signAlgo: c.signAlgo, clientData: 'tx-1', ...(c.extra ?? {}) }, { bearer: signer.token });
      expect(signed.status).toBe(200);
      expect(signed.body.signatures).toHaveLength(3);
      for (const [i, sig] of (signed.body.signatures as string[]).entries()) {
        expect(sig).toMatch(/^[A-Za-z0-9+/]+=*$/); // standard base64, no line breaks
        const ok = await opensslVerify({ certPem: leaf, digest: hashes[i]!, signature: Buffer.from(sig, 'base64'), hash: 'sha256', pss: c.pss ? { saltLength: 32 } : undefined });
        expect(ok, `signature ${i} verifies`).toBe(true);
      }
      // The SAD is used up: same refusal as v2.
      const again = await v1(server, 'signatures/signHash', { credentialID, SAD: auth.body.SAD, hash: [b64(hashes[0]!)], signAlgo: c.signAlgo, ...(c.extra ?? {}) }, { bearer: signer.token });
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_request');
    }, 30_000);
  }

  it('extendTransaction swaps an unexpired SAD for a new one over the same digests; the old one stops working', async () => {
    const other = await newSigner();
    const cred = await newCredential(other, 'ES256', 2);
    const hashes = [digest('extend one'), digest('extend two')];
    const auth = await authorize(other, cred, hashes, 0);
    expect(auth.status).toBe(200);
    const first = await v1(server, 'signatures/signHash', { credentialID: cred, SAD: auth.body.SAD, hash: [b64(hashes[0]!)], signAlgo: OID.ecdsaSha256 }, { bearer: other.token });
    expect(first.status).toBe(200);
    const extended = await v1(server, 'credentials/extendTransaction', { credentialID: cred, SAD: auth.body.SAD, hash: [b64(hashes[1]!)], clientData: 'tx-1' }, { bearer: other.token });
    expect(extended.status).toBe(200);
    expect(extended.body.SAD).not.toBe(auth.body.SAD);
    expect(extended.body.expiresIn).toBeGreaterThan(0);
    const old = await v1(server, 'signatures/signHash', { credentialID: cred, SAD: auth.body.SAD, hash: [b64(hashes[1]!)], signAlgo: OID.ecdsaSha256 }, { bearer: other.token });
    expect(old).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter SAD' } });
    // New content is never authorized by an extension.
    const newContent = await v1(server, 'credentials/extendTransaction', { credentialID: cred, SAD: extended.body.SAD, hash: [b64(digest('not authorized'))] }, { bearer: other.token });
    expect(newContent.status).toBe(400);
    expect(newContent.body.error).toBe('invalid_request');
    const info = await v1(server, 'credentials/info', { credentialID: cred }, { bearer: other.token });
    const signed = await v1(server, 'signatures/signHash', { credentialID: cred, SAD: extended.body.SAD, hash: [b64(hashes[1]!)], signAlgo: OID.ecdsaSha256 }, { bearer: other.token });
    expect(signed.status).toBe(200);
    const ok = await opensslVerify({ certPem: pem(info.body.cert.certificates[0]), digest: hashes[1]!, signature: Buffer.from(signed.body.signatures[0], 'base64'), hash: 'sha256' });
    expect(ok).toBe(true);
  }, 30_000);

  it('sendOTP is refused for an authenticator-app (offline) OTP, with nothing sent', async () => {
    const res = await v1(server, 'credentials/sendOTP', { credentialID: ecCred }, { bearer: signer.token });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'The OTP of this credential is generated offline: there is nothing to send' } });
    const missing = await v1(server, 'credentials/sendOTP', {}, { bearer: signer.token });
    expect(missing).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Missing (or invalid type) string parameter credentialID' } });
  });

  it('an e-mailed OTP: info says "online", sendOTP sends a code (development outbox), authorize with it, sign', async () => {
    const other = await newSigner();
    const created = await admin(server, 'credential:create', '--username', other.username, '--algo', 'ES256', '--pin', '123456', '--otp', 'email');
    expect(created.code, created.stderr).toBe(0);
    const cred: string = created.json.credentialID;
    const info = await v1(server, 'credentials/info', { credentialID: cred, authInfo: true }, { bearer: other.token });
    expect(info.body.OTP).toMatchObject({ presence: 'true', type: 'online', ID: 'email' });
    const sent = await v1(server, 'credentials/sendOTP', { credentialID: cred, clientData: 'tx-2' }, { bearer: other.token });
    expect(sent.status).toBe(204);
    const outbox = await admin(server, 'outbox:show', '--username', other.username);
    expect(outbox.code, outbox.stderr).toBe(0);
    const messages = outbox.json.messages as { channel: string; to: string; text: string }[];
    expect(messages).toHaveLength(1);
    expect(messages[0]!).toMatchObject({ channel: 'email', to: `${other.username}@example.org` });
    const code = /\b(\d{6})\b/.exec(messages[0]!.text)?.[1];
    expect(code).toBeDefined();
    const h = digest('e-mailed');
    const auth = await v1(server, 'credentials/authorize', { credentialID: cred, numSignatures: 1, hash: [b64(h)], PIN: '123456', OTP: code }, { bearer: other.token });
    expect(auth.status).toBe(200);
    const signed = await v1(server, 'signatures/signHash', { credentialID: cred, SAD: auth.body.SAD, hash: [b64(h)], signAlgo: OID.ecdsaSha256 }, { bearer: other.token });
    expect(signed.status).toBe(200);
    const full = await v1(server, 'credentials/info', { credentialID: cred }, { bearer: other.token });
    expect(await opensslVerify({ certPem: pem(full.body.cert.certificates[0]), digest: h, signature: Buffer.from(signed.body.signatures[0], 'base64'), hash: 'sha256' })).toBe(true);
    // The code was single-use.
    const reuse = await v1(server, 'credentials/authorize', { credentialID: cred, numSignatures: 1, hash: [b64(h)], PIN: '123456', OTP: code }, { bearer: other.token });
    expect(reuse).toMatchObject({ status: 400, body: { error: 'invalid_authentication_data' } });
  }, 30_000);

  it('auth/revoke ends the token', async () => {
    const other = await newSigner();
    const revoked = await v1(server, 'auth/revoke', { token: other.token }, { bearer: other.token });
    expect(revoked.status).toBe(204);
    const after = await v1(server, 'credentials/list', {}, { bearer: other.token });
    expect(after.status).toBe(401);
  });
});

describe('CSC v1 refusals', () => {
  let signer: Signer;
  let cred: string;

  beforeAll(async () => {
    signer = await newSigner();
    cred = await newCredential(signer, 'ES256', 5);
  }, 60_000);

  const signHash = (body: Record<string, unknown>) => v1(server, 'signatures/signHash', { credentialID: cred, ...body }, { bearer: signer.token });

  it('request shape errors name the v1 parameters', async () => {
    const h = b64(digest('x'));
    expect(await signHash({ SAD: 's', signAlgo: OID.ecdsaSha256 })).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Missing (or invalid type) array parameter hash' } });
    expect(await signHash({ hash: [h], signAlgo: OID.ecdsaSha256 })).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Missing (or invalid type) string parameter SAD' } });
    expect(await signHash({ SAD: 's', hash: [], signAlgo: OID.ecdsaSha256 })).toMatchObject({ status: 400, body: { error_description: 'Empty hash array' } });
    expect(await signHash({ SAD: 's', hash: ['%%%'], signAlgo: OID.ecdsaSha256 })).toMatchObject({ status: 400, body: { error_description: 'Invalid Base64 hash string parameter' } });
    expect(await signHash({ SAD: 's', hash: [h], signAlgo: '1.2.3.4' })).toMatchObject({ status: 400, body: { error_description: 'Invalid parameter signAlgo' } });
    expect(await signHash({ SAD: 's', hash: [h], signAlgo: '1.2.840.10045.2.1' })).toMatchObject({ status: 400, body: { error_description: 'Missing (or invalid type) string parameter hashAlgo' } });
    expect(await signHash({ SAD: 's', hash: [h], signAlgo: '1.2.840.10045.2.1', hashAlgo: '1.3.14.3.2.26' })).toMatchObject({ status: 400, body: { error_description: 'Invalid parameter hashAlgo' } });
    expect(await signHash({ SAD: 's', hash: [h], signAlgo: OID.ecdsaSha256, hashAlgo: 7 })).toMatchObject({ status: 400, body: { error_description: 'Missing (or invalid type) string parameter hashAlgo' } });
    const noCred = await v1(server, 'credentials/info', {}, { bearer: signer.token });
    expect(noCred).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Missing (or invalid type) string parameter credentialID' } });
    const bad = await v1(server, 'credentials/authorize', { credentialID: cred, numSignatures: 0 }, { bearer: signer.token });
    expect(bad).toMatchObject({ status: 400, body: { error_description: 'Invalid value for parameter numSignatures' } });
    const pinType = await v1(server, 'credentials/authorize', { credentialID: cred, numSignatures: 1, hash: [h], PIN: 123456 }, { bearer: signer.token });
    expect(pinType).toMatchObject({ status: 400, body: { error_description: 'Missing (or invalid type) string parameter PIN' } });
  });

  it('authorization and SAD refusals are those of v2', async () => {
    const h = digest('refusal');
    const wrongPin = await authorize(signer, cred, [h], -1, '000000');
    expect(wrongPin).toMatchObject({ status: 400, body: { error: 'invalid_authentication_data' } });
    const odd = await v1(server, 'credentials/authorize', { credentialID: cred, numSignatures: 1, hash: [b64(Buffer.alloc(20, 1))], PIN: '123456', OTP: await totp(signer.otpSecret, 0) }, { bearer: signer.token });
    expect(odd).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid digest value length' } });
    const tooMany = await v1(server, 'credentials/authorize', { credentialID: cred, numSignatures: 6, hash: Array.from({ length: 6 }, (_, i) => b64(digest(`m${i}`))), PIN: '123456', OTP: '000000' }, { bearer: signer.token });
    expect(tooMany).toMatchObject({ status: 400, body: { error_description: 'Numbers of signatures is too high' } });
    const ok = await authorize(signer, cred, [h], 1);
    expect(ok.status).toBe(200);
    const other = await signHash({ SAD: ok.body.SAD, hash: [b64(digest('something else'))], signAlgo: OID.ecdsaSha256 });
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Hash is not authorized by the SAD' } });
    const forged = await signHash({ SAD: 'a.b.c', hash: [b64(h)], signAlgo: OID.ecdsaSha256 });
    expect(forged).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter SAD' } });
    // The refusals consumed nothing: the SAD still signs its hash.
    expect((await signHash({ SAD: ok.body.SAD, hash: [b64(h)], signAlgo: OID.ecdsaSha256 })).status).toBe(200);
    const unknown = await v1(server, 'credentials/info', { credentialID: 'no-such-credential' }, { bearer: signer.token });
    expect(unknown).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter credentialID' } });
  });

  it('transport errors: no token, bad token, not POST, not JSON, unknown and unimplemented methods', async () => {
    const none = await v1(server, 'credentials/list', {});
    expect(none).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    const badToken = await v1(server, 'credentials/list', {}, { bearer: 'nope' });
    expect(badToken).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    const get = await fetch(`${server.url}/csc/v1/credentials/list`);
    expect(get.status).toBe(405);
    expect(get.headers.get('content-type')).toMatch(/^application\/json/);
    const notJson = await fetch(`${server.url}/csc/v1/signatures/signHash`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${signer.token}` }, body: '{"credentialID":' });
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await notJson.json()).toEqual({ error: 'invalid_request', error_description: 'The request body must be a JSON object' });
    const missing = await fetch(`${server.url}/csc/v1/no/such/method`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'invalid_request', error_description: 'Unknown API method' });
    const bare = await fetch(`${server.url}/csc/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(bare.status).toBe(404);
    expect(await bare.json()).toEqual({ error: 'invalid_request', error_description: 'Unknown API method' });
    const unimplemented = await fetch(`${server.url}/csc/v1/signatures/timestamp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unimplemented.status).toBe(501);
    expect(await unimplemented.json()).toEqual({ error: 'not_implemented', error_description: 'The method is not implemented by this service' });
    const doc = await fetch(`${server.url}/csc/v1/openapi.yaml`);
    expect(doc.status).toBe(200);
    expect(await doc.text()).toContain('version: 1.0.4.0');
  });

  it('no malformed v1 request produces a 500', async () => {
    const bodies: unknown[] = [null, [], 'x', 1, { credentialID: 1 }, { credentialID: cred, hash: 'x' }, { credentialID: cred, hash: [1] }, { credentialID: cred, numSignatures: 1e300 }, { credentialID: cred, SAD: 'a.b.c', hash: [b64(digest('z'))], signAlgo: OID.pss }, { pageToken: '' }, { maxResults: 1e300 }, { credentialID: 'x'.repeat(10_000) }];
    for (const op of ['credentials/list', 'credentials/info', 'credentials/authorize', 'credentials/sendOTP', 'credentials/extendTransaction', 'signatures/signHash', 'auth/revoke'] as const) {
      for (const body of bodies) {
        const res = await v1(server, op, body, { bearer: signer.token });
        expect(res.status, `${op} ${JSON.stringify(body).slice(0, 80)}`).toBeLessThan(500);
      }
    }
  });
});
