// The transport rules every CSC method shares: routing, POST only, bearer tokens, JSON bodies, request ids, the
// one error handler (CSC v2 §7.1, §10, RFC 6750).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { call, csc, refusal, signer, startApp, type TestApp } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

describe('routing', () => {
  it('answers 404 for a name that is no CSC method', async () => {
    const res = await call(app, 'credentials/steal', {});
    expect(res).toMatchObject(refusal(404, 'invalid_request', 'Unknown API method'));
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('answers 501 for a CSC method this service does not implement', async () => {
    const res = await call(app, 'credentials/sendOTP', {}); // CSC v1 only; v2 has credentials/getChallenge
    expect(res).toMatchObject(refusal(501, 'not_implemented', 'The method is not implemented by this service'));
  });

  it('answers 405 with Allow: POST to a GET', async () => {
    const res = await call(app, 'info', undefined, { method: 'GET', contentType: null });
    expect(res).toMatchObject(refusal(405, 'invalid_request', 'API methods are called with POST'));
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('leaves paths outside /csc/v2/ to the next middleware', async () => {
    const res = await fetch(`${app.url}/csc/v1/info`, { method: 'POST' });
    expect(res.status).toBe(418);
    expect(await res.text()).toBe('not csc');
  });

  it('serves the OpenAPI document with GET, and nothing else', async () => {
    const res = await fetch(`${app.url}/csc/v2/openapi.yaml`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    const doc = parse(await res.text());
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/signatures/signHash');
    const post = await call(app, 'openapi.yaml', {});
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('serves the logo that info points to, as a PNG', async () => {
    const info = await csc(app, 'info', {});
    expect(info.body.logo).toBe('https://csc.example.test/csc/v2/logo.png');
    const res = await fetch(`${app.url}/csc/v2/logo.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // IHDR width and height: at most 256×256 (CSC v2 §11.1 logo).
    expect(bytes.readUInt32BE(16)).toBeLessThanOrEqual(256);
    expect(bytes.readUInt32BE(20)).toBeLessThanOrEqual(256);
  });
});

describe('bearer token', () => {
  it('refuses a call without Authorization: 401 invalid_token with a Bearer challenge', async () => {
    const res = await csc(app, 'credentials/list', {});
    expect(res).toMatchObject(refusal(401, 'invalid_token', 'Missing access token'));
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it.each(['Token abc', 'Bearer', 'Bearer a b', 'Basic dXNlcjpwYXNz', 'Bearer tok,en'])('refuses "%s" as a malformed header', async (header) => {
    const res = await csc(app, 'credentials/list', {}, { authorization: header });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'Malformed authorization header'));
  });

  it('refuses an unknown token and an expired one with 401 and the verifier\'s error', async () => {
    const unknown = await csc(app, 'credentials/list', {}, { bearer: 'nobody-knows-me' });
    expect(unknown).toMatchObject(refusal(401, 'invalid_token', 'The access token is not valid'));
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    const expired = await csc(app, 'credentials/list', {}, { bearer: 'expired-abc' });
    expect(expired).toMatchObject(refusal(401, 'expired_token', 'The access or refresh token is expired or has been revoked'));
  });

  it('accepts the scheme name in any case (RFC 9110 §11.1)', async () => {
    const { token } = signer(app);
    const res = await csc(app, 'credentials/list', {}, { authorization: `bearer ${token}` });
    expect(res.status).toBe(200);
  });

  it('refuses a credential-scoped token on credentials/list with 403', async () => {
    const { token } = signer(app, { scope: 'credential', credentialID: 'x', sad: 's' });
    const res = await csc(app, 'credentials/list', {}, { bearer: token });
    expect(res).toMatchObject(refusal(403, 'access_denied', 'The access token does not allow this method'));
  });
});

describe('JSON body', () => {
  it('refuses invalid JSON', async () => {
    const { token } = signer(app);
    const res = await csc(app, 'credentials/list', '{"credentialInfo":', { bearer: token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'The request body must be a JSON object'));
  });

  it.each(['[]', 'null', '42', '"text"', 'true'])('refuses %s, which is JSON but not an object', async (text) => {
    const { token } = signer(app);
    const res = await csc(app, 'credentials/list', text, { bearer: token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'The request body must be a JSON object'));
  });

  it('refuses a body that is not UTF-8', async () => {
    const { token } = signer(app);
    const res = await fetch(`${app.url}/csc/v2/credentials/list`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'The request body must be a JSON object' });
  });

  it('refuses a body over 1 MiB with 413, announced or streamed', async () => {
    const { token } = signer(app);
    const huge = JSON.stringify({ clientData: 'x'.repeat(1024 * 1024) });
    const res = await csc(app, 'credentials/list', huge, { bearer: token });
    expect(res).toMatchObject(refusal(413, 'invalid_request', 'Request body too large'));
    // Chunked, without Content-Length: the limit holds while reading.
    const chunks = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode(i === 0 ? '{"clientData":"' : 'y'.repeat(100_000)));
        c.close();
      },
    });
    const streamed = await fetch(`${app.url}/csc/v2/credentials/list`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual({ error: 'invalid_request', error_description: 'Request body too large' });
  });

  it('accepts a body just under the limit', async () => {
    const { token } = signer(app);
    const body = JSON.stringify({ clientData: 'x'.repeat(1024 * 1024 - 100) });
    expect((await csc(app, 'credentials/list', body, { bearer: token })).status).toBe(200);
  });

  it('requires Content-Type application/json when there is a body', async () => {
    const { token } = signer(app);
    const res = await csc(app, 'credentials/list', '{}', { bearer: token, contentType: 'text/plain' });
    expect(res).toMatchObject(refusal(415, 'invalid_request', 'Content-Type must be application/json'));
    const missing = await csc(app, 'credentials/list', '{}', { bearer: token, contentType: null });
    expect(missing.status).toBe(415);
    const withCharset = await csc(app, 'credentials/list', '{}', { bearer: token, contentType: 'Application/JSON; charset=UTF-8' });
    expect(withCharset.status).toBe(200);
  });

  it('treats an empty body as {} whatever its Content-Type', async () => {
    const { token } = signer(app);
    expect((await csc(app, 'credentials/list', undefined, { bearer: token, contentType: null })).status).toBe(200);
    expect((await csc(app, 'info', '', { contentType: 'text/plain' })).status).toBe(200);
  });

  it('refuses a NUL character anywhere in the body, naming the top-level parameter (PostgreSQL cannot store one)', async () => {
    const { token } = signer(app);
    const top = await csc(app, 'credentials/info', { credentialID: 'a\u0000b' }, { bearer: token });
    expect(top).toMatchObject(refusal(400, 'invalid_request', 'Invalid parameter credentialID: NUL characters are not allowed'));
    const nested = await csc(app, 'signatures/signHash', { credentialID: 'c', hashes: ['AAAA', '\u0000'], signAlgo: '1.2.3' }, { bearer: token });
    expect(nested).toMatchObject(refusal(400, 'invalid_request', 'Invalid parameter hashes: NUL characters are not allowed'));
    expect((await csc(app, 'credentials/list', { clientData: 'no nul here \\u0000' }, { bearer: token })).status).toBe(200);
  });

  it('reports schema violations with the wording of the spec tables', async () => {
    const { token } = signer(app);
    const res = await csc(app, 'credentials/info', { credentialID: 42 }, { bearer: token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'Missing (or invalid type) string parameter credentialID'));
  });
});

describe('request id and headers', () => {
  it('echoes a sane X-Request-Id and replaces anything else', async () => {
    const given = await call(app, 'info', {}, { headers: { 'x-request-id': 'abc-123.4:5_6' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123.4:5_6');
    const odd = await call(app, 'info', {}, { headers: { 'x-request-id': 'has spaces <script>' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const none = await call(app, 'info', {});
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(none.headers.get('x-request-id')).not.toBe(odd.headers.get('x-request-id'));
  });

  it('marks responses as not cacheable', async () => {
    const res = await call(app, 'info', {});
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('the error handler', () => {
  it('turns an unexpected error into a bare 500 server_error, logged with the request id and no secret', async () => {
    const { token } = signer(app);
    const verify = app.tokens.verify.bind(app.tokens);
    app.tokens.verify = async () => {
      throw new TypeError('database exploded');
    };
    try {
      const res = await csc(app, 'credentials/list', {}, { bearer: token, headers: { 'x-request-id': 'req-500-test' } });
      expect(res).toMatchObject(refusal(500, 'server_error', 'The service encountered an unexpected condition'));
      expect(res.text).not.toContain('exploded');
      const line = app.logLines.map((l) => JSON.parse(l)).find((l) => l.requestId === 'req-500-test');
      expect(line).toMatchObject({ level: 50, err: { name: 'TypeError', message: 'database exploded' } });
      expect(JSON.stringify(app.logLines)).not.toContain(token);
    } finally {
      app.tokens.verify = verify;
    }
  });
});
