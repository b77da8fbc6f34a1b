// Issue #12 item 3 black-box, both API versions, against the service as a process on SoftHSM: what real clients send
// — explicit nulls for optional parameters, CSC v2.2 hashType in another case, unknown fields, digests in base64url,
// unpadded, or (v1) percent-encoded — is accepted, and the SAD still binds the digest BYTES: the same digest in
// another spelling signs, another digest is refused. A required parameter that is null keeps the spec's refusal.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, csc, opensslVerify, pem, type Server, startServer, totp } from './harness.ts';
import { v1 } from './v1_client.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';

let server: Server;

type Signer = { username: string; otpSecret: string; v2Token: string; v1Token: string; credentialID: string; certPem: string };

async function newSigner(): Promise<Signer> {
  const username = `tol-${randomBytes(4).toString('hex')}`;
  const password = 'correct horse battery';
  const created = await admin(server, 'user:create', '--username', username, '--password', password, '--name', 'Tolerant Client', '--email', `${username}@example.org`);
  expect(created.code, created.stderr).toBe(0);
  const enrolled = await admin(server, 'otp:enroll', '--username', username);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  const cred = await admin(server, 'credential:create', '--username', username, '--algo', 'ES256', '--pin', '123456', '--multisign', '2');
  expect(cred.code, cred.stderr).toBe(0);
  const login2 = await csc(server, 'auth/login', { rememberMe: null, clientData: null }, { basic: [username, password] });
  expect(login2.status, JSON.stringify(login2.body)).toBe(200);
  const login1 = await v1(server, 'auth/login', { rememberMe: null }, { basic: [username, password] });
  expect(login1.status, JSON.stringify(login1.body)).toBe(200);
  const info = await csc(server, 'credentials/info', { credentialID: cred.json.credentialID, certificates: null, certInfo: null, authInfo: null, lang: null }, { bearer: login2.body.access_token });
  expect(info.status).toBe(200);
  return {
    username,
    otpSecret: enrolled.json.secret,
    v2Token: login2.body.access_token,
    v1Token: login1.body.access_token,
    credentialID: cred.json.credentialID,
    certPem: pem(info.body.cert.certificates[0]),
  };
}

/** A SHA-256 digest whose standard base64 holds '+', '/' and padding, so every spelling differs from the others. */
function trickyDigest(): Buffer {
  for (;;) {
    const d = createHash('sha256').update(randomBytes(16)).digest();
    const s = d.toString('base64');
    if (s.includes('+') && s.includes('/')) return d;
  }
}

const spell = {
  std: (d: Buffer) => d.toString('base64'),
  urlUnpadded: (d: Buffer) => d.toString('base64url'),
  urlPadded: (d: Buffer) => `${d.toString('base64url')}=`,
  percent: (d: Buffer) => d.toString('base64').replace(/\+/g, '%2B').replace(/\//g, '%2F').replace(/=/g, '%3D'),
};

beforeAll(async () => {
  server = await startServer({ REDIS_URL: '' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('tolerant input on /csc/v2', () => {
  it('nulls, hashType in capitals, unknown fields, base64url at authorize and standard base64 at signHash: one binding, by bytes', async () => {
    const s = await newSigner();
    const [d1, d2] = [trickyDigest(), trickyDigest()];
    const auth = await csc(
      server,
      'credentials/authorize',
      {
        credentialID: s.credentialID,
        numSignatures: 2,
        hashes: [spell.urlUnpadded(d1), spell.urlPadded(d2)],
        hashAlgorithmOID: SHA256,
        hashType: 'DTBSR',
        authData: [{ id: 'PIN', value: '123456' }, { id: 'OTP', value: await totp(s.otpSecret) }],
        description: null,
        clientData: null,
        signatureQualifier: null,
        futureV3Field: { anything: [1, null] },
      },
      { bearer: s.v2Token },
    );
    expect(auth.status, JSON.stringify(auth.body)).toBe(200);

    // Another digest, in the same spelling as an authorized one, is not covered.
    const other = await csc(server, 'signatures/signHash', { credentialID: s.credentialID, SAD: auth.body.SAD, hashes: [spell.std(trickyDigest())], signAlgo: ECDSA_SHA256 }, { bearer: s.v2Token });
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Hash is not authorized by the SAD' } });

    const signed = await csc(
      server,
      'signatures/signHash',
      {
        credentialID: s.credentialID,
        SAD: auth.body.SAD,
        hashes: [spell.std(d1), spell.std(d2)],
        hashAlgorithmOID: null,
        signAlgo: ECDSA_SHA256,
        signAlgoParams: null,
        operationMode: null,
        hashType: 'dtbsr',
        clientData: null,
        unknownVendorFlag: true,
      },
      { bearer: s.v2Token },
    );
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    for (const [i, d] of [d1, d2].entries()) {
      expect(await opensslVerify({ certPem: s.certPem, digest: d, signature: Buffer.from(signed.body.signatures[i], 'base64'), hash: 'sha256' }), `signature ${i}`).toBe(true);
    }
  }, 60_000);

  it('refuses a required parameter that is null, an unknown hashType, and percent-encoding (a v1 form only)', async () => {
    const s = await newSigner();
    const nullID = await csc(server, 'credentials/authorize', { credentialID: null, numSignatures: 1 }, { bearer: s.v2Token });
    expect(nullID).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Missing (or invalid type) string parameter credentialID' } });
    const nullHashes = await csc(server, 'signatures/signHash', { credentialID: s.credentialID, SAD: 'x', hashes: null, signAlgo: ECDSA_SHA256 }, { bearer: s.v2Token });
    expect(nullHashes).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Missing (or invalid type) array parameter hashes' } });
    const badType = await csc(server, 'signatures/signHash', { credentialID: s.credentialID, SAD: 'x', hashes: [spell.std(trickyDigest())], signAlgo: ECDSA_SHA256, hashType: 'dtbs' }, { bearer: s.v2Token });
    expect(badType).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter hashType: expected dtbsr, sdr or sodr' } });
    const percent = await csc(server, 'signatures/signHash', { credentialID: s.credentialID, SAD: 'x', hashes: [spell.percent(trickyDigest())], signAlgo: ECDSA_SHA256 }, { bearer: s.v2Token });
    expect(percent).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid Base64 hash string parameter' } });
  }, 60_000);
});

describe('tolerant input on /csc/v1', () => {
  it('percent-encoded digests at authorize, base64url at signHash, nulls and unknown fields: one binding, by bytes', async () => {
    const s = await newSigner();
    const d = trickyDigest();
    expect(spell.percent(d)).toMatch(/%2[BF]/);
    const auth = await v1(
      server,
      'credentials/authorize',
      { credentialID: s.credentialID, numSignatures: 1, hash: [spell.percent(d)], PIN: '123456', OTP: await totp(s.otpSecret), description: null, clientData: null, vendorExtra: 'x' },
      { bearer: s.v1Token },
    );
    expect(auth.status, JSON.stringify(auth.body)).toBe(200);
    const signed = await v1(
      server,
      'signatures/signHash',
      { credentialID: s.credentialID, SAD: auth.body.SAD, hash: [spell.urlUnpadded(d)], hashAlgo: null, signAlgo: ECDSA_SHA256, signAlgoParams: null, clientData: null },
      { bearer: s.v1Token },
    );
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    expect(await opensslVerify({ certPem: s.certPem, digest: d, signature: Buffer.from(signed.body.signatures[0], 'base64'), hash: 'sha256' })).toBe(true);
  }, 60_000);

  it('refuses a required null and a percent-escape that is not one of %2B %2F %3D', async () => {
    const s = await newSigner();
    const nullAlgo = await v1(server, 'signatures/signHash', { credentialID: s.credentialID, SAD: 'x', hash: [spell.std(trickyDigest())], signAlgo: null }, { bearer: s.v1Token });
    expect(nullAlgo).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Missing (or invalid type) string parameter signAlgo' } });
    const escaped = await v1(server, 'signatures/signHash', { credentialID: s.credentialID, SAD: 'x', hash: [`%41${spell.std(trickyDigest()).slice(1)}`], signAlgo: ECDSA_SHA256 }, { bearer: s.v1Token });
    expect(escaped).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid Base64 hash string parameter' } });
  }, 60_000);
});
