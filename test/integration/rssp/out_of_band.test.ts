// credentials/getChallenge, credentials/extendTransaction, credentials/authorizeCheck and the 202 of
// credentials/authorize over HTTP, against a fake SAM: what rssp checks itself, what it forwards, and how the
// answers look on the wire (validated against the OpenAPI document by csc()).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamError, type SignatureActivation } from '../../../core/sam_port.ts';
import { addCredential, b64, csc, OID, refusal, sha256, signer, startApp, type TestApp } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

describe('credentials/getChallenge', () => {
  it('answers 204 and forwards the person\'s addresses from the user record', async () => {
    const s = signer(app);
    s.user.phone = '+41 79 555 00 00';
    const cred = await addCredential(app, s.user.id, {}, { otpChannel: 'sms' });
    const res = await csc(app, 'credentials/getChallenge', { credentialID: cred.credentialID, authObjectID: 'OTP' }, { bearer: s.token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(app.sam.callsOf('getChallenge').at(-1)).toMatchObject({
      credentialID: cred.credentialID,
      userId: s.user.id,
      recipient: { username: s.user.username, email: 'alice@example.org', phone: '+41 79 555 00 00' },
    });
  });

  it('refuses another authentication object without asking the SAM', async () => {
    const s = signer(app);
    const cred = await addCredential(app, s.user.id);
    const before = app.sam.callsOf('getChallenge').length;
    const res = await csc(app, 'credentials/getChallenge', { credentialID: cred.credentialID, authObjectID: 'PIN' }, { bearer: s.token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'Invalid parameter authObjectID'));
    const missing = await csc(app, 'credentials/getChallenge', { credentialID: cred.credentialID }, { bearer: s.token });
    expect(missing).toMatchObject(refusal(400, 'invalid_request', 'Missing (or invalid type) string parameter authObjectID'));
    expect(app.sam.callsOf('getChallenge')).toHaveLength(before);
  });

  it('turns the SAM\'s rate limit into 429 with Retry-After', async () => {
    const s = signer(app);
    const cred = await addCredential(app, s.user.id);
    app.sam.fail.getChallenge = new SamError('SAM_CHALLENGE_RATE_LIMITED', '4321');
    try {
      const res = await csc(app, 'credentials/getChallenge', { credentialID: cred.credentialID, authObjectID: 'OTP' }, { bearer: s.token });
      expect(res).toMatchObject(refusal(429, 'access_denied', 'Too many one-time passwords requested for this credential; try again later'));
      expect(res.headers.get('retry-after')).toBe('4321');
    } finally {
      delete app.sam.fail.getChallenge;
    }
  });
});

describe('credentials/extendTransaction', () => {
  it('requires hashes at SCAL 2 and their algorithm, then forwards the decoded hashes', async () => {
    const s = signer(app);
    const cred = await addCredential(app, s.user.id, { multisign: 2 });
    const base = { credentialID: cred.credentialID, SAD: 'old-sad' };
    expect(await csc(app, 'credentials/extendTransaction', base, { bearer: s.token })).toMatchObject(
      refusal(400, 'invalid_request', 'Missing (or invalid type) array parameter hashes'),
    );
    expect(await csc(app, 'credentials/extendTransaction', { ...base, hashes: [b64(sha256('a'))] }, { bearer: s.token })).toMatchObject(
      refusal(400, 'invalid_request', 'Missing (or invalid type) string parameter hashAlgorithmOID'),
    );
    const ok = await csc(app, 'credentials/extendTransaction', { ...base, hashes: [b64(sha256('a'))], hashAlgorithmOID: OID.sha256 }, { bearer: s.token });
    expect(ok).toMatchObject({ status: 200, body: { SAD: `extended-${cred.credentialID}`, expiresIn: 300 } });
    const call = app.sam.callsOf('extendTransaction').at(-1)!;
    expect(call).toMatchObject({ sad: 'old-sad', credentialID: cred.credentialID, hashAlgorithmOID: OID.sha256 });
    expect(Buffer.from((call.hashes as Uint8Array[])[0]!)).toEqual(sha256('a'));
  });

  it('lets a SCAL 1 credential extend without hashes', async () => {
    const s = signer(app);
    const cred = await addCredential(app, s.user.id, { scal: '1' });
    const ok = await csc(app, 'credentials/extendTransaction', { credentialID: cred.credentialID, SAD: 'x' }, { bearer: s.token });
    expect(ok.status).toBe(200);
  });
});

describe('asynchronous authorization over HTTP', () => {
  it('authorize answers 202 {handle} for a credential approved out of band, with the link under PUBLIC_URL', async () => {
    const s = signer(app);
    const cred = await addCredential(app, s.user.id, {}, { approval: 'async' });
    const res = await csc(
      app,
      'credentials/authorize',
      { credentialID: cred.credentialID, numSignatures: 1, hashes: [b64(sha256('d'))], hashAlgorithmOID: OID.sha256, description: 'Offer' },
      { bearer: s.token },
    );
    expect(res).toMatchObject({ status: 202, body: { handle: `handle-${cred.credentialID}` } });
    expect(app.sam.callsOf('requestApproval').at(-1)).toMatchObject({
      credentialID: cred.credentialID,
      description: 'Offer',
      linkBase: 'https://csc.example.test/approve/',
      recipient: { username: s.user.username, email: 'alice@example.org' },
    });
  });

  it('authorizeCheck: 202 with the handle while pending, 200 with the SAD after', async () => {
    const s = signer(app);
    const sam = app.sam as { checkApproval: SignatureActivation['checkApproval'] };
    const original = sam.checkApproval.bind(app.sam);
    sam.checkApproval = async () => ({ status: 'pending' });
    try {
      expect(await csc(app, 'credentials/authorizeCheck', { handle: 'h-1' }, { bearer: s.token })).toMatchObject({ status: 202, body: { handle: 'h-1' } });
    } finally {
      sam.checkApproval = original;
    }
    expect(await csc(app, 'credentials/authorizeCheck', { handle: 'h-1' }, { bearer: s.token })).toMatchObject({
      status: 200,
      body: { SAD: 'approved-h-1', expiresIn: 300 },
    });
    expect(await csc(app, 'credentials/authorizeCheck', { handle: 'h'.repeat(300) }, { bearer: s.token })).toMatchObject(
      refusal(400, 'invalid_request', 'Invalid parameter handle'),
    );
  });
});
