// Throttling over HTTP (issue #4 item 4): credentials/authorize per client and per IP, auth/login per IP, answered
// 429 with Retry-After before the SAM is asked; authorize fails closed (503) when the store is unreachable, the
// load-shedding limits go on per instance. The rssp routes with fake SAM and authz, the real limiter on an in-process Kv (or a broken one).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauthRateLimit } from '../../../authz/oauth_rate_limit.ts';
import { createMemoryKv, type Kv } from '../../../core/kv.ts';
import { RateLimiter, type RatePolicy } from '../../../core/policy.ts';
import { addCredential, b64, csc, OID, sha256, signer, startApp, type TestApp } from './helpers.ts';

let app: TestApp;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.close();
});

const policy = (over: Partial<Record<keyof RatePolicy, number>> = {}): RatePolicy => ({
  loginPerIp: { name: `login-${Math.random()}`, max: over.loginPerIp ?? 100, windowSeconds: 3600, protectsFactors: false },
  authorizePerClient: { name: `client-${Math.random()}`, max: over.authorizePerClient ?? 100, windowSeconds: 3600, protectsFactors: true },
  authorizePerIp: { name: `ip-${Math.random()}`, max: over.authorizePerIp ?? 100, windowSeconds: 3600, protectsFactors: true },
  oauthPerIp: { name: `oauth-ip-${Math.random()}`, max: over.oauthPerIp ?? 100, windowSeconds: 3600, protectsFactors: false },
  oauthPerClient: { name: `oauth-client-${Math.random()}`, max: over.oauthPerClient ?? 100, windowSeconds: 3600, protectsFactors: false },
  signPerClient: { name: `sign-client-${Math.random()}`, max: over.signPerClient ?? 100, windowSeconds: 3600, protectsFactors: false },
  pollPerClient: { name: `poll-client-${Math.random()}`, max: over.pollPerClient ?? 100, windowSeconds: 3600, protectsFactors: false },
});

const down: Kv = {
  get: () => Promise.reject(new Error('ECONNREFUSED')),
  set: () => Promise.reject(new Error('ECONNREFUSED')),
  del: () => Promise.reject(new Error('ECONNREFUSED')),
  incr: () => Promise.reject(new Error('ECONNREFUSED')),
  publish: () => Promise.reject(new Error('ECONNREFUSED')),
  listen: async () => {}, // never live
  close: async () => {},
};

function use(kv: Kv, p: RatePolicy) {
  app.deps.limits = { limiter: new RateLimiter(kv, app.deps.log), policy: p };
}

async function authorize(token: string, credentialID: string) {
  const h = sha256('doc');
  return csc(
    app,
    'credentials/authorize',
    { credentialID, numSignatures: 1, hashes: [b64(h)], hashAlgorithmOID: OID.sha256, authData: [{ id: 'PIN', value: '123456' }] },
    { bearer: token },
  );
}

describe('rate limits', () => {
  it('credentials/authorize: the request past the per-client limit gets 429 with Retry-After, and never reaches the SAM', async () => {
    use(createMemoryKv(), policy({ authorizePerClient: 2 }));
    const s = signer(app);
    const cred = await addCredential(app, s.user.id);
    expect((await authorize(s.token, cred.credentialID)).status).toBe(200);
    expect((await authorize(s.token, cred.credentialID)).status).toBe(200);
    const calls = app.sam.calls.filter((c) => c.method === 'activate').length;
    const res = await authorize(s.token, cred.credentialID);
    expect(res.status).toBe(429);
    expect(res.body).toEqual({ error: 'access_denied', error_description: 'Too many requests' });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(3600);
    expect(app.sam.calls.filter((c) => c.method === 'activate').length).toBe(calls);
    // Another client (another login session) still has its budget.
    const other = signer(app);
    const cred2 = await addCredential(app, other.user.id);
    expect((await authorize(other.token, cred2.credentialID)).status).toBe(200);
  });

  it('signatures/signHash: 429 past the per-client limit before any SAM call; limited per instance when the store is down', async () => {
    use(createMemoryKv(), policy({ signPerClient: 2 }));
    const s = signer(app);
    const cred = await addCredential(app, s.user.id);
    const body = { credentialID: cred.credentialID, SAD: 'sad', hashes: [b64(sha256('doc'))], signAlgo: OID.ecdsaSha256 };
    const first = await csc(app, 'signatures/signHash', body, { bearer: s.token });
    expect(first.status).not.toBe(429);
    expect((await csc(app, 'signatures/signHash', body, { bearer: s.token })).status).not.toBe(429);
    const calls = app.sam.calls.filter((c) => c.method === 'signHash').length;
    const third = await csc(app, 'signatures/signHash', body, { bearer: s.token });
    expect([third.status, third.body]).toEqual([429, { error: 'access_denied', error_description: 'Too many requests' }]);
    expect(app.sam.calls.filter((c) => c.method === 'signHash').length).toBe(calls);
    // Without Redis signing goes on (every signHash still needs its SAD), limited by this instance's own count:
    // never a 503.
    use(down, policy({ signPerClient: 1 }));
    expect((await csc(app, 'signatures/signHash', body, { bearer: s.token })).status).not.toBe(429);
    const over = await csc(app, 'signatures/signHash', body, { bearer: s.token });
    expect([over.status, over.body]).toEqual([429, { error: 'access_denied', error_description: 'Too many requests' }]);
  });

  it('signatures/signPolling: 429 past the per-client limit before the job table is read; limited per instance when the store is down', async () => {
    use(createMemoryKv(), policy({ pollPerClient: 2 }));
    const s = signer(app);
    const body = { requestID: 'no-such-job' };
    const unknown = { error: 'invalid_request', error_description: 'Invalid parameter requestID' };
    for (let i = 0; i < 2; i++) expect(await csc(app, 'signatures/signPolling', body, { bearer: s.token })).toMatchObject({ status: 400, body: unknown });
    const third = await csc(app, 'signatures/signPolling', body, { bearer: s.token });
    expect([third.status, third.body]).toEqual([429, { error: 'access_denied', error_description: 'Too many requests' }]);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another client still polls.
    expect(await csc(app, 'signatures/signPolling', body, { bearer: signer(app).token })).toMatchObject({ status: 400, body: unknown });
    use(down, policy({ pollPerClient: 1 }));
    expect(await csc(app, 'signatures/signPolling', body, { bearer: s.token })).toMatchObject({ status: 400, body: unknown });
    expect(await csc(app, 'signatures/signPolling', body, { bearer: s.token })).toMatchObject({ status: 429 });
  });

  it('credentials/authorize: the per-IP limit spans clients', async () => {
    use(createMemoryKv(), policy({ authorizePerIp: 1 }));
    const a = signer(app);
    const b = signer(app);
    const ca = await addCredential(app, a.user.id);
    const cb = await addCredential(app, b.user.id);
    expect((await authorize(a.token, ca.credentialID)).status).toBe(200);
    const res = await authorize(b.token, cb.credentialID);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
  });

  it('credentials/authorize fails closed when the store is unreachable: 503, no SAM call', async () => {
    use(down, policy());
    const s = signer(app);
    const cred = await addCredential(app, s.user.id);
    const calls = app.sam.calls.length;
    const res = await authorize(s.token, cred.credentialID);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: 'Request limits cannot be checked now; try again later' });
    expect(app.sam.calls.length).toBe(calls);
  });

  it('auth/login: 429 with Retry-After past the per-IP request rate; limited per instance, logged, when the store is unreachable', async () => {
    use(createMemoryKv(), policy({ loginPerIp: 1 }));
    const basic = `Basic ${Buffer.from('alice:secret').toString('base64')}`;
    const first = await csc(app, 'auth/login', {}, { authorization: basic });
    expect(first.status).not.toBe(429);
    const second = await csc(app, 'auth/login', {}, { authorization: basic });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    use(down, policy({ loginPerIp: 1 }));
    const open = await csc(app, 'auth/login', {}, { authorization: basic });
    expect(open.status).toBe(first.status);
    await app.deps.limits.limiter.flush();
    expect(app.logLines.join('')).toContain('rate-limit store unreachable: load-shedding limits counted in this instance only');
    expect((await csc(app, 'auth/login', {}, { authorization: basic })).status).toBe(429);
  });
});

describe('rate limits on the OAuth endpoints', () => {
  async function oauthApp(kv: Kv, p: RatePolicy) {
    const koa = new Koa();
    koa.use(oauthRateLimit({ limiter: new RateLimiter(kv, app.deps.log), policy: p }));
    koa.use((ctx) => {
      ctx.body = { reached: ctx.path };
    });
    const server = http.createServer(koa.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  it('per client: client_id in the query or the Basic client of the token endpoint; 429 with Retry-After', async () => {
    const s = await oauthApp(createMemoryKv(), policy({ oauthPerClient: 1 }));
    try {
      expect((await fetch(`${s.url}/oauth2/authorize?client_id=app-1`)).status).toBe(200);
      const second = await fetch(`${s.url}/oauth2/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('app-1:secret').toString('base64')}` } });
      expect(second.status).toBe(429);
      expect(second.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
      expect(await second.json()).toEqual({ error: 'access_denied', error_description: 'Too many requests' });
      expect((await fetch(`${s.url}/oauth2/authorize?client_id=app-2`)).status).toBe(200);
      // Other paths are not the OAuth server's business.
      expect((await fetch(`${s.url}/csc/v2/info`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('per IP across clients, and per instance when the store is unreachable', async () => {
    const s = await oauthApp(createMemoryKv(), policy({ oauthPerIp: 2 }));
    try {
      expect((await fetch(`${s.url}/oauth2/authorize?client_id=a`)).status).toBe(200);
      expect((await fetch(`${s.url}/oauth2/authorize?client_id=b`)).status).toBe(200);
      expect((await fetch(`${s.url}/oauth2/authorize?client_id=c`)).status).toBe(429);
    } finally {
      await s.close();
    }
    const d = await oauthApp(down, policy({ oauthPerIp: 1 }));
    try {
      expect((await fetch(`${d.url}/oauth2/token`, { method: 'POST' })).status).toBe(200);
      expect((await fetch(`${d.url}/oauth2/token`, { method: 'POST' })).status).toBe(429);
    } finally {
      await d.close();
    }
  });
});
