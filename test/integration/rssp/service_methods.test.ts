// info (CSC v2 §11.1), auth/login (§11.2) and auth/revoke (§11.3): the wire format; authz decides (faked here).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_ALGOS } from '../../../core/algorithms.ts';
import { call, csc, refusal, signer, startApp, type TestApp } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('info', () => {
  it('describes the service without authorization, from an empty body', async () => {
    const res = await csc(app, 'info', undefined, { contentType: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      specs: '2.0.0.2',
      name: 'Remote Signing Service',
      logo: 'https://csc.example.test/csc/v2/logo.png',
      region: 'BE',
      lang: 'en-US',
      description: app.deps.config.rssp.service.description,
      authType: ['basic', 'oauth2code', 'oauth2client'],
      oauth2: 'https://csc.example.test/',
      oauth2Issuer: 'https://csc.example.test',
      asynchronousOperationMode: true,
      methods: ['info', 'auth/login', 'auth/revoke', 'credentials/list', 'credentials/info', 'credentials/authorize', 'credentials/authorizeCheck', 'credentials/getChallenge', 'credentials/extendTransaction', 'signatures/signHash', 'signatures/signDoc', 'signatures/signPolling', 'signatures/timestamp'],
      signAlgorithms: { algos: Object.keys(SIGN_ALGOS) },
      signature_formats: {
      formats: ['P', 'C', 'X', 'J'],
      envelope_properties: [['Certification', 'Revision'], ['Attached', 'Detached', 'Parallel'], ['Enveloped', 'Enveloping', 'Detached'], ['Attached', 'Detached']],
    },
      conformance_levels: ['Ades-B-B', 'Ades-B-T', 'Ades-B-LT'],
      validationInfo: true,
    });
  });

  it('lists every implemented method, each one answering something other than 404/501', async () => {
    const { body } = await csc(app, 'info', {});
    for (const method of body.methods as string[]) {
      const res = await call(app, method, {});
      expect([404, 501], method).not.toContain(res.status);
    }
  });

  it('answers in its own language when another is asked for', async () => {
    const res = await csc(app, 'info', { lang: 'fr-FR' });
    expect(res.body.lang).toBe('en-US');
  });

  it('refuses a lang that is not a string', async () => {
    const res = await csc(app, 'info', { lang: 5 });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'Missing (or invalid type) string parameter lang'));
  });
});

describe('auth/login', () => {
  it('passes Basic credentials to authz and returns its token', async () => {
    const res = await csc(app, 'auth/login', {}, { authorization: basic('alice', 'right'), headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res).toMatchObject({ status: 200, body: { access_token: 'new-access-token', expires_in: 3600 } });
    expect(res.body.refresh_token).toBeUndefined();
    expect(app.auth.logins.at(-1)).toEqual({
      basic: { username: 'alice', password: 'right' },
      refreshToken: undefined,
      rememberMe: false,
      sourceIp: '127.0.0.1',
      // The request context goes along for the audit trail (request id, IP, user agent).
      ctx: expect.objectContaining({ requestId: expect.any(String), sourceIp: '127.0.0.1' }),
    });
  });

  it('keeps colons in the password (RFC 7617 §2) and returns a refresh token with rememberMe', async () => {
    const res = await csc(app, 'auth/login', { rememberMe: true }, { authorization: basic('bob', 'ri:ght') });
    // the fake refuses anything but "right": proves the password was split at the first colon only
    expect(res).toMatchObject(refusal(400, 'authentication_error', 'An error occurred during the authentication process'));
    expect(app.auth.logins.at(-1)!.basic).toEqual({ username: 'bob', password: 'ri:ght' });
    const ok = await csc(app, 'auth/login', { rememberMe: true }, { authorization: basic('bob', 'right') });
    expect(ok.body).toEqual({ access_token: 'new-access-token', refresh_token: 'new-refresh-token', expires_in: 3600 });
  });

  it('logs in with a refresh token and no header', async () => {
    const res = await csc(app, 'auth/login', { refresh_token: 'rt-123' });
    expect(res.status).toBe(200);
    expect(app.auth.logins.at(-1)).toMatchObject({ basic: undefined, refreshToken: 'rt-123', rememberMe: false });
  });

  it('refuses a missing or non-Basic header with 401 (CSC v2 §11.2)', async () => {
    for (const authorization of [undefined, 'Bearer abc', 'Basic', 'Basic !!!']) {
      const res = await csc(app, 'auth/login', {}, authorization ? { authorization } : {});
      expect(res, String(authorization)).toMatchObject(refusal(401, 'invalid_request', 'Malformed authentication parameter'));
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="CSC", charset="UTF-8"');
    }
  });

  it('refuses decoded credentials that are not username:password', async () => {
    for (const decoded of ['no-colon', ':password-only']) {
      const res = await csc(app, 'auth/login', {}, { authorization: `Basic ${Buffer.from(decoded).toString('base64')}` });
      expect(res, decoded).toMatchObject(refusal(400, 'invalid_request', 'Malformed username-password'));
    }
    const notUtf8 = await csc(app, 'auth/login', {}, { authorization: `Basic ${Buffer.from([0xff, 0x3a, 0x41]).toString('base64')}` });
    expect(notUtf8).toMatchObject(refusal(400, 'invalid_request', 'Malformed username-password'));
  });

  it('refuses a refresh_token that is not a string', async () => {
    const res = await csc(app, 'auth/login', { refresh_token: 12 });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'Missing (or invalid type) string parameter refresh_token'));
  });

  it('never logs the password', async () => {
    await csc(app, 'auth/login', {}, { authorization: basic('carol', 'hunter2-secret') });
    expect(app.logLines.join('\n')).not.toContain('hunter2-secret');
  });
});

describe('auth/revoke', () => {
  it('revokes for the caller and answers 204 without a body', async () => {
    const { user, token } = signer(app);
    const res = await csc(app, 'auth/revoke', { token: 'some-token', token_type_hint: 'refresh_token', clientData: 'tx-1' }, { bearer: token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(app.auth.revokes.at(-1)).toMatchObject({ token: 'some-token', tokenTypeHint: 'refresh_token', caller: { userId: user.id } });
  });

  it('needs a bearer token', async () => {
    const res = await csc(app, 'auth/revoke', { token: 'x' });
    expect(res).toMatchObject(refusal(401, 'invalid_token', 'Missing access token'));
  });

  it('refuses a missing token and an unknown hint with the §11.3 wording', async () => {
    const { token } = signer(app);
    expect(await csc(app, 'auth/revoke', {}, { bearer: token })).toMatchObject(
      refusal(400, 'invalid_request', 'Missing (or invalid type) string parameter token'),
    );
    expect(await csc(app, 'auth/revoke', { token: 'x', token_type_hint: 'id_token' }, { bearer: token })).toMatchObject(
      refusal(400, 'invalid_request', 'Invalid string parameter token_type_hint'),
    );
  });

  it('passes authz refusals through', async () => {
    const { token } = signer(app);
    const res = await csc(app, 'auth/revoke', { token: 'not-mine' }, { bearer: token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'Invalid string parameter token'));
  });
});
