// credentials/authorize (CSC v2 §11.6): what rssp checks before the SAM, and what it forwards to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCredential, b64, csc, OID, refusal, sha256, signer, startApp, type TestApp } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

const PIN_OTP = [
  { id: 'PIN', value: '123456' },
  { id: 'OTP', value: '654321' },
];

async function setup(over: Parameters<typeof addCredential>[2] = {}) {
  const s = signer(app);
  const cred = await addCredential(app, s.user.id, { multisign: 3, ...over });
  const body = (extra: Record<string, unknown> = {}) => ({
    credentialID: cred.credentialID,
    numSignatures: 1,
    hashes: [b64(sha256('doc'))],
    hashAlgorithmOID: OID.sha256,
    authData: PIN_OTP,
    ...extra,
  });
  return { ...s, cred, body };
}

describe('credentials/authorize', () => {
  it('forwards factors and hashes (not the SCAL: the SAM keeps its own) to the SAM, and returns SAD and expiresIn', async () => {
    const { user, token, cred, body } = await setup({ scal: '2' });
    const hashes = [sha256('one'), sha256('two')];
    const res = await csc(
      app,
      'credentials/authorize',
      body({ numSignatures: 2, hashes: [b64(hashes[0]!), hashes[1]!.toString('base64url')], description: 'two contracts', clientData: 'tx-9' }),
      { bearer: token, headers: { 'x-request-id': 'req-auth-1', 'user-agent': 'test-agent/1.0' } },
    );
    expect(res).toMatchObject({ status: 200, body: { SAD: `sad-${cred.credentialID}-2`, expiresIn: 300 } });
    const grant = app.tokens.grants.get(token)!;
    const call = app.sam.callsOf('activate').at(-1)!;
    expect(call).toEqual({
      ctx: { requestId: 'req-auth-1', sourceIp: '127.0.0.1', userAgent: 'test-agent/1.0' },
      userId: user.id,
      clientId: grant.clientId,
      credentialID: cred.credentialID,
      numSignatures: 2,
      hashes: hashes.map((h) => new Uint8Array(h)),
      hashAlgorithmOID: OID.sha256,
      factors: { pin: '123456', otp: '654321' },
    });
  });

  it('lets the SAM decide about a SCAL 1 authorization without hashes', async () => {
    const { token, body } = await setup({ scal: '1' });
    const res = await csc(app, 'credentials/authorize', body({ hashes: undefined, hashAlgorithmOID: undefined }), { bearer: token });
    expect(res.status).toBe(200);
    expect(app.sam.callsOf('activate').at(-1)).toMatchObject({ hashes: undefined, hashAlgorithmOID: undefined });
    expect(app.sam.callsOf('activate').at(-1)).not.toHaveProperty('scal'); // the SAM keeps the SCAL itself
  });

  it('refuses an oauth2code credential (§11.6: explicit mode only)', async () => {
    const { token, body } = await setup({ authMode: 'oauth2code' });
    const before = app.sam.callsOf('activate').length;
    const res = await csc(app, 'credentials/authorize', body(), { bearer: token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'The credential is not authorized in explicit mode'));
    expect(app.sam.callsOf('activate').length).toBe(before);
  });

  it('refuses numSignatures above multisign', async () => {
    const { token, body } = await setup({ multisign: 3 });
    const hashes = ['a', 'b', 'c', 'd'].map((d) => b64(sha256(d)));
    const res = await csc(app, 'credentials/authorize', body({ numSignatures: 4, hashes }), { bearer: token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'Numbers of signatures is too high'));
  });

  it('refuses another user\'s credential and an unknown one alike', async () => {
    const { body } = await setup();
    const mallory = signer(app);
    const res = await csc(app, 'credentials/authorize', body(), { bearer: mallory.token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'Invalid parameter credentialID'));
    const unknown = await csc(app, 'credentials/authorize', body({ credentialID: 'nope' }), { bearer: mallory.token });
    expect(unknown).toMatchObject(refusal(400, 'invalid_request', 'Invalid parameter credentialID'));
  });

  it('needs a service-scoped token', async () => {
    const { user, body } = await setup();
    const credentialToken = app.tokens.issue(user.id, { scope: 'credential', sad: 'x' });
    const res = await csc(app, 'credentials/authorize', body(), { bearer: credentialToken });
    expect(res).toMatchObject(refusal(403, 'access_denied', 'The access token does not allow this method'));
    expect(await csc(app, 'credentials/authorize', body())).toMatchObject(refusal(401, 'invalid_token', 'Missing access token'));
  });

  // Each case: a body change, and the exact refusal. None of them reaches the SAM.
  const cases: [string, Record<string, unknown>, number, string, string][] = [
    ['credentialID missing', { credentialID: undefined }, 400, 'invalid_request', 'Missing (or invalid type) string parameter credentialID'],
    ['credentialID not a string', { credentialID: ['x'] }, 400, 'invalid_request', 'Missing (or invalid type) string parameter credentialID'],
    ['numSignatures missing', { numSignatures: undefined }, 400, 'invalid_request', 'Missing (or invalid type) integer parameter numSignatures'],
    ['numSignatures a string', { numSignatures: '1' }, 400, 'invalid_request', 'Missing (or invalid type) integer parameter numSignatures'],
    ['numSignatures fractional', { numSignatures: 1.5 }, 400, 'invalid_request', 'Missing (or invalid type) integer parameter numSignatures'],
    ['numSignatures zero', { numSignatures: 0 }, 400, 'invalid_request', 'Invalid value for parameter numSignatures'],
    ['numSignatures negative', { numSignatures: -3 }, 400, 'invalid_request', 'Invalid value for parameter numSignatures'],
    ['numSignatures huge', { numSignatures: 1e300 }, 400, 'invalid_request', 'Numbers of signatures is too high'],
    ['hashes not an array', { hashes: 'abc' }, 400, 'invalid_request', 'Missing (or invalid type) array parameter hashes'],
    ['hashes empty', { hashes: [] }, 400, 'invalid_request', 'Empty hash array'],
    ['a hash not base64', { hashes: ['not base64!'] }, 400, 'invalid_request', 'Invalid Base64 hash string parameter'],
    ['a hash mixing alphabets', { hashes: ['ab+_'] }, 400, 'invalid_request', 'Invalid Base64 hash string parameter'],
    ['a hash with non-canonical bits', { hashes: ['AB=='] }, 400, 'invalid_request', 'Invalid Base64 hash string parameter'],
    ['a hash not a string', { hashes: [12] }, 400, 'invalid_request', 'Invalid Base64 hash string parameter'],
    ['hashes without hashAlgorithmOID', { hashAlgorithmOID: undefined }, 400, 'invalid_request', 'Missing (or invalid type) string parameter hashAlgorithmOID'],
    ['hashAlgorithmOID unknown', { hashAlgorithmOID: '1.3.14.3.2.26' }, 400, 'invalid_request', 'Invalid parameter hashAlgorithmOID'],
    ['hashAlgorithmOID not an OID', { hashAlgorithmOID: 'sha256' }, 400, 'invalid_request', 'Invalid parameter hashAlgorithmOID'],
    ['authData not an array', { authData: { id: 'PIN' } }, 400, 'invalid_request', 'Missing (or invalid type) array parameter authData'],
    ['authData with an unknown object', { authData: [...PIN_OTP, { id: 'FACE', value: 'x' }] }, 400, 'invalid_authentication_data', 'The authentication data is invalid'],
    ['authData repeating the PIN', { authData: [PIN_OTP[0], PIN_OTP[0], PIN_OTP[1]] }, 400, 'invalid_authentication_data', 'The authentication data is invalid'],
    ['authData without a value', { authData: [{ id: 'PIN' }, PIN_OTP[1]] }, 400, 'invalid_authentication_data', 'The authentication data is invalid'],
    ['description too long', { description: 'd'.repeat(501) }, 400, 'invalid_request', 'Invalid parameter description'],
    ['clientData not a string', { clientData: 7 }, 400, 'invalid_request', 'Invalid parameter clientData'],
  ];
  it.each(cases)('refuses %s', async (_name, change, status, error, description) => {
    const { token, body } = await setup();
    const before = app.sam.callsOf('activate').length;
    const res = await csc(app, 'credentials/authorize', body(change), { bearer: token });
    expect(res).toMatchObject(refusal(status, error, description));
    expect(app.sam.callsOf('activate').length).toBe(before);
  });

  it('passes an authData value through untouched, and never logs it', async () => {
    const { token, body } = await setup();
    await csc(app, 'credentials/authorize', body({ authData: [{ id: 'PIN', value: ' 0042 secret-pin ' }, { id: 'OTP', value: '999000' }] }), { bearer: token });
    expect(app.sam.callsOf('activate').at(-1)!.factors).toEqual({ pin: ' 0042 secret-pin ', otp: '999000' });
    expect(app.logLines.join('\n')).not.toContain('secret-pin');
  });
});
