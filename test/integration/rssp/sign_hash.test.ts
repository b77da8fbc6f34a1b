// signatures/signHash (CSC v2 §11.10): request checks, SAD resolution, and what is forwarded to the SAM.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCredential, b64, csc, OID, refusal, sha256, signer, startApp, type TestApp } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

const PSS_PARAMS = 'MDSgDzANBglghkgBZQMEAgEFAKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQMEAgEFAKIDAgEg';

async function setup(over: Parameters<typeof addCredential>[2] = {}) {
  const s = signer(app);
  const cred = await addCredential(app, s.user.id, over);
  const body = (extra: Record<string, unknown> = {}) => ({
    credentialID: cred.credentialID,
    SAD: 'the-sad',
    hashes: [b64(sha256('doc'))],
    signAlgo: OID.ecdsaSha256,
    ...extra,
  });
  return { ...s, cred, body };
}

const expectedSignature = (digest: Uint8Array) => createHash('sha256').update(digest).digest('base64');

describe('signatures/signHash', () => {
  it('forwards everything to the SAM and returns standard base64 signatures in request order', async () => {
    const { user, token, cred, body } = await setup();
    const digests = ['a', 'b', 'c'].map((d) => sha256(d));
    // the second digest in url-safe form: both alphabets are accepted (DESIGN §8)
    const hashes = [b64(digests[0]!), digests[1]!.toString('base64url'), b64(digests[2]!)];
    const res = await csc(app, 'signatures/signHash', body({ hashes, hashAlgorithmOID: OID.sha256, clientData: 'c', operationMode: 'S' }), {
      bearer: token,
      headers: { 'x-request-id': 'req-sign-1' },
    });
    expect(res).toMatchObject({ status: 200, body: { signatures: digests.map(expectedSignature) } });
    const grant = app.tokens.grants.get(token)!;
    expect(app.sam.callsOf('signHash').at(-1)).toEqual({
      ctx: { requestId: 'req-sign-1', sourceIp: '127.0.0.1', userAgent: expect.any(String) },
      sad: 'the-sad',
      userId: user.id,
      clientId: grant.clientId,
      credentialID: cred.credentialID,
      hashes: digests.map((d) => new Uint8Array(d)),
      hashAlgorithmOID: OID.sha256,
      signAlgo: OID.ecdsaSha256,
      signAlgoParams: undefined,
    });
  });

  it('decodes RSASSA-PSS parameters for the SAM', async () => {
    const { token, body } = await setup({ keyAlgo: 'RSA-2048' });
    const res = await csc(app, 'signatures/signHash', body({ signAlgo: OID.pss, signAlgoParams: PSS_PARAMS, hashAlgorithmOID: OID.sha256 }), { bearer: token });
    expect(res.status).toBe(200);
    expect(app.sam.callsOf('signHash').at(-1)!.signAlgoParams).toEqual(new Uint8Array(Buffer.from(PSS_PARAMS, 'base64')));
  });

  it('accepts a key OID with hashAlgorithmOID', async () => {
    const { token, body } = await setup({ keyAlgo: 'RSA-2048' });
    const res = await csc(app, 'signatures/signHash', body({ signAlgo: OID.rsaEncryption, hashAlgorithmOID: OID.sha256 }), { bearer: token });
    expect(res.status).toBe(200);
  });

  it('takes the SAD from a credential-scoped bearer token for this credential', async () => {
    const { user, cred, body } = await setup();
    const token = app.tokens.issue(user.id, { scope: 'credential', credentialID: cred.credentialID, sad: 'sad-in-token' });
    const res = await csc(app, 'signatures/signHash', body({ SAD: undefined }), { bearer: token });
    expect(res.status).toBe(200);
    expect(app.sam.callsOf('signHash').at(-1)!.sad).toBe('sad-in-token');
  });

  it('prefers the SAD parameter over the token\'s own', async () => {
    const { user, cred, body } = await setup();
    const token = app.tokens.issue(user.id, { scope: 'credential', credentialID: cred.credentialID, sad: 'sad-in-token' });
    await csc(app, 'signatures/signHash', body({ SAD: 'explicit-sad' }), { bearer: token });
    expect(app.sam.callsOf('signHash').at(-1)!.sad).toBe('explicit-sad');
  });

  it('accepts a credential-scoped access token in the SAD parameter (§11.10 backward compatibility)', async () => {
    const { user, token, cred, body } = await setup();
    const credentialToken = app.tokens.issue(user.id, { scope: 'credential', credentialID: cred.credentialID, sad: 'sad-behind-token' });
    const res = await csc(app, 'signatures/signHash', body({ SAD: credentialToken }), { bearer: token });
    expect(res.status).toBe(200);
    expect(app.sam.callsOf('signHash').at(-1)!.sad).toBe('sad-behind-token');
    // a service token, or a credential token of another credential, is no SAD
    const serviceToken = app.tokens.issue(user.id);
    const other = await addCredential(app, user.id);
    const otherToken = app.tokens.issue(user.id, { scope: 'credential', credentialID: other.credentialID, sad: 's' });
    for (const SAD of [serviceToken, otherToken]) {
      expect(await csc(app, 'signatures/signHash', body({ SAD }), { bearer: token })).toMatchObject(refusal(400, 'invalid_request', 'Invalid parameter SAD'));
    }
  });

  it('refuses a credential-scoped token used for another credential', async () => {
    const { user, cred, body } = await setup();
    const other = await addCredential(app, user.id);
    const token = app.tokens.issue(user.id, { scope: 'credential', credentialID: other.credentialID, sad: 's' });
    const res = await csc(app, 'signatures/signHash', body({ credentialID: cred.credentialID }), { bearer: token });
    expect(res).toMatchObject(refusal(403, 'access_denied', 'The access token does not allow this method'));
  });

  it('refuses a missing SAD with a service token', async () => {
    const { token, body } = await setup();
    const res = await csc(app, 'signatures/signHash', body({ SAD: undefined }), { bearer: token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'Missing (or invalid type) string parameter SAD'));
  });

  it('answers operationMode "A" with a responseID and leaves the signing to a job (CSC v2 §11.10)', async () => {
    const { token, body } = await setup();
    const before = app.sam.callsOf('signHash').length;
    const res = await csc(app, 'signatures/signHash', body({ operationMode: 'A', response_uri: 'https://app.example/cb' }), { bearer: token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['responseID']);
    expect(res.body.responseID).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(app.sam.callsOf('signHash').length).toBe(before);
  });

  it('ignores validity_period and response_uri in operationMode "S", whatever they hold (CSC v2 §11.10)', async () => {
    const { token, body } = await setup();
    const res = await csc(app, 'signatures/signHash', body({ operationMode: 'S', validity_period: -1, response_uri: 'not a uri' }), { bearer: token });
    expect(res).toMatchObject({ status: 200, body: { signatures: [expectedSignature(sha256('doc'))] } });
  });

  it('refuses another user\'s credential before the SAM sees the SAD', async () => {
    const { body } = await setup();
    const mallory = signer(app);
    const before = app.sam.callsOf('signHash').length;
    const res = await csc(app, 'signatures/signHash', body(), { bearer: mallory.token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'Invalid parameter credentialID'));
    expect(app.sam.callsOf('signHash').length).toBe(before);
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['credentialID missing', { credentialID: undefined }, 'Missing (or invalid type) string parameter credentialID'],
    ['credentialID null', { credentialID: null }, 'Missing (or invalid type) string parameter credentialID'],
    ['SAD not a string', { SAD: 5 }, 'Missing (or invalid type) string parameter SAD'],
    ['SAD empty', { SAD: '' }, 'Invalid parameter SAD'],
    ['hashes missing', { hashes: undefined }, 'Missing (or invalid type) array parameter hashes'],
    ['hashes a string', { hashes: 'abc' }, 'Missing (or invalid type) array parameter hashes'],
    ['hashes empty', { hashes: [] }, 'Empty hash array'],
    // Issue #14 finding 6: a 20 000-hash refusal used to reach the SAM and store every hash in its audit row.
    ['20 000 hashes', { hashes: Array.from({ length: 20_000 }, () => 'sTOgwOm+474gFj0q0x1iSNspKqbcse4IeiqlDg/HWuI=') }, 'Too many hashes: at most 1000 in one request'],
    ['a hash not base64', { hashes: ['###'] }, 'Invalid Base64 hash string parameter'],
    ['a hash empty', { hashes: [''] }, 'Invalid Base64 hash string parameter'],
    ['a hash with bad padding', { hashes: ['abc=='] }, 'Invalid Base64 hash string parameter'],
    ['a hash with non-canonical bits', { hashes: ['AB=='] }, 'Invalid Base64 hash string parameter'],
    ['signAlgo missing', { signAlgo: undefined }, 'Missing (or invalid type) string parameter signAlgo'],
    ['signAlgo not an OID', { signAlgo: 'ES256' }, 'Invalid parameter signAlgo'],
    ['signAlgo unknown', { signAlgo: '1.2.840.113549.1.1.5' }, 'Invalid parameter signAlgo'],
    ['signAlgo a made-up OID', { signAlgo: '0.0' }, 'Invalid parameter signAlgo'],
    ['rsaEncryption without hashAlgorithmOID', { signAlgo: OID.rsaEncryption }, 'Missing (or invalid type) string parameter hashAlgorithmOID'],
    ['ecPublicKey without hashAlgorithmOID', { signAlgo: OID.ecPublicKey }, 'Missing (or invalid type) string parameter hashAlgorithmOID'],
    ['hashAlgorithmOID unknown', { hashAlgorithmOID: '1.3.14.3.2.26' }, 'Invalid parameter hashAlgorithmOID'],
    ['PSS without signAlgoParams', { signAlgo: OID.pss, hashAlgorithmOID: OID.sha256 }, 'Missing (or invalid type) string parameter signAlgoParams'],
    ['signAlgoParams not base64', { signAlgo: OID.pss, signAlgoParams: '%%%' }, 'Invalid parameter signAlgoParams'],
    ['signAlgoParams with non-canonical bits', { signAlgo: OID.pss, signAlgoParams: 'AB==' }, 'Invalid parameter signAlgoParams'],
    ['operationMode unknown', { operationMode: 'X' }, 'Invalid parameter operationMode'],
    ['validity_period negative', { operationMode: 'A', validity_period: -1 }, 'Out of bounds parameter validity_period'],
    ['validity_period 0', { operationMode: 'A', validity_period: 0 }, 'Out of bounds parameter validity_period'],
    ['validity_period above ASYNC_VALIDITY_MAX_MS', { operationMode: 'A', validity_period: 86_400_001 }, 'Out of bounds parameter validity_period'],
    ['validity_period not an integer', { operationMode: 'A', validity_period: '600' }, 'Invalid parameter validity_period'],
    ['response_uri not a URI', { operationMode: 'A', response_uri: 'not a uri' }, 'Invalid parameter response_uri'],
    ['response_uri relative', { operationMode: 'A', response_uri: '/cb' }, 'Invalid parameter response_uri'],
    ['response_uri not http(s)', { operationMode: 'A', response_uri: 'ftp://app.example/cb' }, 'Invalid parameter response_uri'],
    ['response_uri with credentials', { operationMode: 'A', response_uri: 'https://u:p@app.example/cb' }, 'Invalid parameter response_uri'],
    ['clientData an object', { clientData: { a: 1 } }, 'Invalid parameter clientData'],
  ];
  it.each(cases)('refuses %s', async (_name, change, description) => {
    const { token, body } = await setup();
    const before = app.sam.callsOf('signHash').length;
    const res = await csc(app, 'signatures/signHash', body(change), { bearer: token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', description));
    expect(app.sam.callsOf('signHash').length).toBe(before);
  });

  it('never logs the SAD', async () => {
    const { token, body } = await setup();
    app.sam.fail.signHash = new Error('boom');
    try {
      const res = await csc(app, 'signatures/signHash', body({ SAD: 'secret-sad-value' }), { bearer: token });
      expect(res.status).toBe(500);
    } finally {
      delete app.sam.fail.signHash;
    }
    expect(app.logLines.join('\n')).not.toContain('secret-sad-value');
  });
});
