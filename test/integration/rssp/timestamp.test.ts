// signatures/timestamp (CSC v2 §11.13) in rssp: the request checks with the exact wordings of the §11.13 error
// table, the service-token requirement, what is forwarded to the SAM, and how the SAM's refusals come back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, csc, OID, refusal, samError, sha256, signer, startApp, type TestApp } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

const SHA384 = '2.16.840.1.101.3.4.2.2';

describe('signatures/timestamp', () => {
  it('forwards the digest, algorithm and nonce to the SAM and returns its token in standard base64', async () => {
    const { user, token } = signer(app);
    const digest = sha256('contract');
    const res = await csc(app, 'signatures/timestamp', { hash: digest.toString('base64url'), hashAlgo: OID.sha256, nonce: 'C0FFEE', clientData: 'tx' }, {
      bearer: token,
      headers: { 'x-request-id': 'req-ts-1' },
    });
    expect(res).toMatchObject({ status: 200, body: { timestamp: 'MAMCAQE=' } });
    expect(app.sam.callsOf('timestamp').at(-1)).toEqual({
      ctx: { requestId: 'req-ts-1', sourceIp: '127.0.0.1', userAgent: expect.any(String) },
      userId: user.id,
      clientId: app.tokens.grants.get(token)!.clientId,
      hash: new Uint8Array(digest),
      hashAlgorithmOID: OID.sha256,
      nonce: 'C0FFEE',
    });
  });

  it('takes hashAlgorithmOID in place of hashAlgo', async () => {
    const { token } = signer(app);
    const res = await csc(app, 'signatures/timestamp', { hash: b64(sha256('x')), hashAlgorithmOID: OID.sha256 }, { bearer: token });
    expect(res.status).toBe(200);
    expect(app.sam.callsOf('timestamp').at(-1)).toMatchObject({ hashAlgorithmOID: OID.sha256, nonce: undefined });
  });

  it('refuses bad input with the §11.13 wordings, before the SAM is asked', async () => {
    const { token } = signer(app);
    const before = app.sam.callsOf('timestamp').length;
    const digest = b64(sha256('x'));
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ hashAlgo: OID.sha256 }, 'Missing (or invalid type) string parameter hash'],
      [{ hash: ['a'], hashAlgo: OID.sha256 }, 'Missing (or invalid type) string parameter hash'],
      [{ hash: '', hashAlgo: OID.sha256 }, 'Empty hash parameter'],
      [{ hash: '***', hashAlgo: OID.sha256 }, 'Invalid Base64 hash string parameter'],
      [{ hash: 'a', hashAlgo: OID.sha256 }, 'Invalid Base64 hash string parameter'],
      [{ hash: digest }, 'Missing (or invalid type) string parameter hashAlgo'],
      [{ hash: digest, hashAlgo: 'sha256' }, 'Invalid parameter hashAlgo'],
      [{ hash: digest, hashAlgo: '1.2.840.113549.2.5' }, 'Invalid parameter hashAlgo'],
      [{ hash: digest, hashAlgo: OID.sha256, hashAlgorithmOID: SHA384 }, 'Invalid parameter hashAlgo'],
      [{ hash: digest, hashAlgo: SHA384 }, 'Invalid digest value length'],
      [{ hash: b64(sha256('x').subarray(0, 20)), hashAlgo: OID.sha256 }, 'Invalid digest value length'],
      [{ hash: digest, hashAlgo: OID.sha256, nonce: 'not-hex' }, 'Invalid parameter nonce'],
      [{ hash: digest, hashAlgo: OID.sha256, nonce: 1234 }, 'Invalid parameter nonce'],
    ];
    for (const [body, description] of cases) {
      const res = await csc(app, 'signatures/timestamp', body, { bearer: token });
      expect(res, JSON.stringify(body)).toMatchObject(refusal(400, 'invalid_request', description));
    }
    expect(app.sam.callsOf('timestamp').length).toBe(before);
  });

  it('needs a service token: none is 401, a malformed header 400, a credential-scoped token 403', async () => {
    const body = { hash: b64(sha256('x')), hashAlgo: OID.sha256 };
    const none = await csc(app, 'signatures/timestamp', body);
    expect(none).toMatchObject(refusal(401, 'invalid_token', 'Missing access token'));
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await csc(app, 'signatures/timestamp', body, { authorization: 'Basic abc' })).toMatchObject(
      refusal(400, 'invalid_request', 'Malformed authorization header'),
    );
    expect(await csc(app, 'signatures/timestamp', body, { bearer: 'unknown-token' })).toMatchObject(refusal(401, 'invalid_token', 'The access token is not valid'));
    const { token } = signer(app, { scope: 'credential', credentialID: 'c', sad: 's' });
    expect(await csc(app, 'signatures/timestamp', body, { bearer: token })).toMatchObject(
      refusal(403, 'access_denied', 'The access token does not allow this method'),
    );
  });

  it('answers a TSA that is down with 503 and a token that failed its checks with 500, never a stack trace', async () => {
    const { token } = signer(app);
    const body = { hash: b64(sha256('x')), hashAlgo: OID.sha256 };
    try {
      app.sam.fail.timestamp = samError('SAM_TSA_UNAVAILABLE');
      expect(await csc(app, 'signatures/timestamp', body, { bearer: token })).toMatchObject(
        refusal(503, 'temporarily_unavailable', 'The time-stamping authority is temporarily unavailable'),
      );
      app.sam.fail.timestamp = samError('SAM_TSA_RESPONSE_INVALID');
      expect(await csc(app, 'signatures/timestamp', body, { bearer: token })).toMatchObject(
        refusal(500, 'server_error', 'The time-stamping authority returned a token that failed verification'),
      );
    } finally {
      delete app.sam.fail.timestamp;
    }
  });

  it('is listed by info', async () => {
    const res = await csc(app, 'info', {});
    expect(res.body.methods).toContain('signatures/timestamp');
  });
});
