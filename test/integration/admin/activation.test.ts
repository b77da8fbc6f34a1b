// The admin side of activation links (issue #14 finding 1) with the fake SAM: what the route accepts, what it answers
// (never a secret), and the production refusals of the routes that would hand the operator a factor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStores, rand } from '../authz/helpers.ts';
import { ADMIN_TOKEN, startAdmin } from '../../unit/admin/fakes.ts';

let stores: Awaited<ReturnType<typeof openStores>>;
let dev: Awaited<ReturnType<typeof startAdmin>>;
let prod: Awaited<ReturnType<typeof startAdmin>>;

beforeAll(async () => {
  stores = await openStores();
  dev = await startAdmin(stores.db, { publicUrl: 'https://sign.example.org/' });
  prod = await startAdmin(stores.db, { production: true, publicUrl: 'https://sign.example.org' });
});
afterAll(async () => {
  await dev.close();
  await prod.close();
  await stores.close();
});

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function user(base: string, email?: string) {
  const username = `act_${rand()}`;
  expect((await call(base, 'POST', '/admin/users', { username, password: 'password-123', email })).status).toBe(201);
  return username;
}

describe('POST /admin/users/{username}/activation', () => {
  it('covers all the user\'s credentials by default and answers only where and until when', async () => {
    const username = await user(dev.url, 'a@example.org');
    const c = await call(dev.url, 'POST', `/admin/users/${username}/credentials`, { algo: 'ES256', activation: true });
    expect(c.status).toBe(201);
    const created = dev.sam.calls.filter((x) => x.method === 'createCredential').at(-1)!;
    expect(created.args.pin).toBeUndefined();
    const r = await call(dev.url, 'POST', `/admin/users/${username}/activation`);
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ sentTo: { channel: 'email', to: 'a@example.org' }, expiresAt: r.body.expiresAt, credentialIDs: [c.body.credentialID] });
    const issued = dev.sam.calls.filter((x) => x.method === 'issueActivation').at(-1)!;
    expect(issued.args).toMatchObject({ credentialIDs: [c.body.credentialID], accountName: username, linkBase: 'https://sign.example.org/activate/' });
  });

  it('refuses bad input with exact errors', async () => {
    const username = await user(dev.url, 'b@example.org');
    expect(await call(dev.url, 'POST', `/admin/users/${username}/activation`)).toEqual({
      status: 400, body: { error: 'invalid_request', error_description: 'The user has no credential to activate; create one first' },
    });
    expect(await call(dev.url, 'POST', `/admin/users/${username}/activation`, { credentialIDs: 'x' })).toEqual({
      status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter credentialIDs: an array of 1 to 100 credential IDs' },
    });
    expect(await call(dev.url, 'POST', `/admin/users/${username}/activation`, { credentialIDs: ['nope'] })).toEqual({
      status: 404, body: { error: 'invalid_request', error_description: 'No credential with this credentialID' },
    });
    expect(await call(dev.url, 'POST', `/admin/users/${username}/activation`, { token: 'x' })).toEqual({
      status: 400, body: { error: 'invalid_request', error_description: 'Unknown parameter token' },
    });
    expect(await call(dev.url, 'POST', `/admin/users/${username}/credentials`, { algo: 'ES256', activation: true, pin: '123456' })).toEqual({
      status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter pin: not with activation' },
    });
    expect(await call(dev.url, 'POST', `/admin/users/nobody_${rand()}/activation`)).toEqual({
      status: 404, body: { error: 'invalid_request', error_description: 'No user with this username' },
    });
  });

  it('maps a user without an address to its own error', async () => {
    const username = await user(dev.url);
    await call(dev.url, 'POST', `/admin/users/${username}/credentials`, { algo: 'ES256', pin: '123456' });
    expect(await call(dev.url, 'POST', `/admin/users/${username}/activation`)).toEqual({
      status: 400, body: { error: 'invalid_request', error_description: 'The user has no e-mail address or phone number to send an activation link to' },
    });
  });
});

describe('in production', () => {
  it('creates credentials without a PIN and refuses one given, and refuses otp:enroll', async () => {
    const username = await user(prod.url, 'p@example.org');
    const c = await call(prod.url, 'POST', `/admin/users/${username}/credentials`, { algo: 'ES256' });
    expect(c.status).toBe(201);
    expect(prod.sam.calls.filter((x) => x.method === 'createCredential').at(-1)!.args.pin).toBeUndefined();
    expect((await call(prod.url, 'POST', `/admin/users/${username}/credentials`, { algo: 'ES256', pin: '123456' })).status).toBe(403);
    expect((await call(prod.url, 'POST', `/admin/users/${username}/otp`)).body.error).toBe('access_denied');
    expect(prod.sam.calls.some((x) => x.method === 'enrollOtp')).toBe(false);
    expect((await call(prod.url, 'POST', `/admin/users/${username}/activation`)).status).toBe(201);
  });
});
