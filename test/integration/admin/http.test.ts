// The admin API over HTTP with a fake SAM and CredentialService (this is a unit test of admin/), the real user
// store on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamError } from '../../../core/sam_port.ts';
import { openStores, rand } from '../authz/helpers.ts';
import { certificate, certPem, keyPair, spkiOfCert, subjectCN } from '../../unit/admin/certs.ts';
import { ADMIN_TOKEN, startAdmin } from '../../unit/admin/fakes.ts';

let stores: Awaited<ReturnType<typeof openStores>>;
let admin: Awaited<ReturnType<typeof startAdmin>>;

beforeAll(async () => {
  stores = await openStores();
  admin = await startAdmin(stores.db);
});
afterAll(async () => {
  await admin.close();
  await stores.close();
});

type Res = { status: number; body: any; headers: Headers };

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const init: RequestInit = { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(admin.url + path, init);
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text, headers: res.headers };
}

const bad = (error_description: string) => ({ error: 'invalid_request', error_description });

async function newUser() {
  const username = `user_${rand()}`;
  const res = await call('POST', '/admin/users', { username, password: 'password-123', name: 'Test User' });
  expect(res.status).toBe(201);
  return { username, userId: res.body.userId as string };
}

async function newCredential(username: string, extra: Record<string, unknown> = {}) {
  const res = await call('POST', `/admin/users/${username}/credentials`, { algo: 'ES256', pin: '123456', ...extra });
  expect(res.status).toBe(201);
  return res.body.credentialID as string;
}

describe('admin authentication and routing', () => {
  it('passes every other path through to the next middleware', async () => {
    for (const path of ['/', '/csc/v2/info', '/administrator', '/adminx/users']) {
      const res = await fetch(admin.url + path);
      expect(await res.text()).toBe('next');
    }
  });

  it('answers 401 without the admin token, with a wrong one, or with another scheme, before routing', async () => {
    const expected = { error: 'invalid_token', error_description: 'Missing or invalid admin token' };
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${ADMIN_TOKEN}x`, `Basic ${ADMIN_TOKEN}`, `Bearer  ${ADMIN_TOKEN}`, ADMIN_TOKEN]) {
      for (const [method, path] of [['POST', '/admin/users'], ['GET', '/admin/no/such/route'], ['GET', '/admin']]) {
        const res = await fetch(admin.url + path!, { method, headers: authorization ? { Authorization: authorization } : {} });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="admin"');
        expect(await res.json()).toEqual(expected);
      }
    }
  });

  it('answers 404 for an unknown admin route and 405 with Allow for a wrong method', async () => {
    expect(await call('GET', '/admin/nothing')).toMatchObject({ status: 404, body: bad('Unknown admin route') });
    const res = await call('DELETE', '/admin/users/someone/credentials');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, GET');
    expect(res.body).toEqual(bad('Method not allowed on this admin route; use POST, GET'));
  });

  it('refuses bodies that are not JSON objects, of the wrong type, or too large', async () => {
    expect(await call('POST', '/admin/users', '{"username":')).toMatchObject({ status: 400, body: bad('The request body must be a JSON object') });
    expect(await call('POST', '/admin/users', '[1,2]')).toMatchObject({ status: 400, body: bad('The request body must be a JSON object') });
    expect(await call('POST', '/admin/users', 'username=x', { 'Content-Type': 'application/x-www-form-urlencoded' })).toMatchObject({
      status: 415,
      body: bad('Content-Type must be application/json'),
    });
    const huge = await call('POST', '/admin/users', { username: 'x', password: 'p'.repeat(1024 * 1024) });
    expect(huge).toMatchObject({ status: 413, body: bad('Request body too large') });
  });

  it('never answers 500 to malformed input on any route', async () => {
    const { username } = await newUser();
    const id = await newCredential(username);
    const paths: Array<[string, string]> = [
      ['POST', '/admin/users'],
      ['POST', `/admin/users/${username}/otp`],
      ['POST', `/admin/users/${username}/credentials`],
      ['POST', `/admin/credentials/${id}/disable`],
      ['POST', `/admin/credentials/${id}/unlock`],
      ['POST', `/admin/credentials/${id}/csr`],
      ['PUT', `/admin/credentials/${id}/certificates`],
      ['POST', '/admin/users/%E0%A4%A/otp'],
    ];
    const values = [null, true, 0, -1, 1e308, '', 'x'.repeat(5000), [], [1], {}, { a: 1 }, '\u0000'];
    const fields = ['username', 'password', 'name', 'email', 'phone', 'algo', 'rsaBits', 'pin', 'multisign', 'scal', 'authMode', 'description', 'chain', 'other'];
    for (const [method, path] of paths) {
      for (const field of fields) {
        for (const value of values) {
          const res = await call(method, path, { [field]: value });
          expect(res.status, `${method} ${path} ${field}=${JSON.stringify(value)}`).toBeLessThan(500);
          expect(res.body).toHaveProperty('error');
        }
      }
    }
  });
});

describe('POST /admin/users', () => {
  it('creates a user (201 {userId}) whom the user store then finds', async () => {
    const username = `alice_${rand()}`;
    const res = await call('POST', '/admin/users', { username, password: 'password-123', name: 'Alice', email: 'alice@example.org', phone: '+441234567' });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Object.keys(res.body)).toEqual(['userId']);
    expect(await admin.users.byUsername(username)).toEqual({ id: res.body.userId, username, name: 'Alice', email: 'alice@example.org', phone: '+441234567' });
  });

  it('refuses a duplicate, a bad username, a short password, missing and unknown parameters', async () => {
    const { username } = await newUser();
    expect(await call('POST', '/admin/users', { username, password: 'password-123' })).toMatchObject({
      status: 409,
      body: bad('A user with this username already exists'),
    });
    expect(await call('POST', '/admin/users', { username: 'a b', password: 'password-123' })).toMatchObject({
      status: 400,
      body: bad('Invalid parameter username: 3 to 64 characters among A-Z a-z 0-9 . _ @ -'),
    });
    expect(await call('POST', '/admin/users', { username: `u_${rand()}`, password: 'short' })).toMatchObject({
      status: 400,
      body: bad('Invalid parameter password: 8 to 1024 characters'),
    });
    expect(await call('POST', '/admin/users', { password: 'password-123' })).toMatchObject({ status: 400, body: bad('Missing parameter username') });
    expect(await call('POST', '/admin/users', { username: `u_${rand()}`, password: 12345678 })).toMatchObject({
      status: 400,
      body: bad('Invalid parameter password: must be a string'),
    });
    expect(await call('POST', '/admin/users', { username: `u_${rand()}`, password: 'password-123', fullName: 'x' })).toMatchObject({
      status: 400,
      body: bad('Unknown parameter fullName'),
    });
  });
});

describe('POST /admin/users/{username}/otp', () => {
  it('enrolls a TOTP seed for the user with the username as account name', async () => {
    const { username, userId } = await newUser();
    const res = await call('POST', `/admin/users/${username.toUpperCase()}/otp`);
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^[A-Z2-7]+$/);
    expect(res.body.otpauthUri).toBe(`otpauth://totp/RSSP:${username}?secret=${res.body.secret}&issuer=RSSP`);
    const call_ = admin.sam.calls.filter((c) => c.method === 'enrollOtp').at(-1)!;
    expect(call_.args).toMatchObject({ userId, accountName: username });
  });

  it('answers 404 for an unknown user', async () => {
    expect(await call('POST', `/admin/users/nobody_${rand()}/otp`)).toMatchObject({ status: 404, body: bad('No user with this username') });
  });
});

describe('credentials of a user', () => {
  it('creates a credential with the given policy and lists it with the SAM state', async () => {
    const { username, userId } = await newUser();
    const res = await call('POST', `/admin/users/${username}/credentials`, {
      algo: 'PS256',
      rsaBits: 3072,
      pin: '123456',
      multisign: 5,
      scal: '1',
      authMode: 'oauth2code',
      description: 'Signing key',
    });
    expect(res.status).toBe(201);
    const id = res.body.credentialID as string;
    expect(admin.credentials.created.at(-1)).toEqual({
      ownerId: userId,
      algo: 'PS256',
      rsaBits: 3072,
      pin: '123456',
      multisign: 5,
      scal: '1',
      authMode: 'oauth2code',
      description: 'Signing key',
    });
    const second = await newCredential(username);

    const list = await call('GET', `/admin/users/${username}/credentials`);
    expect(list.status).toBe(200);
    const state = admin.sam.states.get(id)!;
    expect(list.body.credentials).toEqual([
      {
        credentialID: id,
        description: 'Signing key',
        keyAlgo: 'RSA-3072',
        scal: '1',
        authMode: 'oauth2code',
        multisign: 5,
        enabled: true,
        locked: false,
        validity: { notBefore: state.notBefore, notAfter: state.notAfter },
        createdAt: admin.credentials.records.get(id)!.createdAt.toISOString(),
      },
      expect.objectContaining({ credentialID: second, keyAlgo: 'EC-P256', scal: '2', authMode: 'explicit', multisign: 1, description: null }),
    ]);
  });

  it('lists no credentials for a user without any, and 404 for an unknown user', async () => {
    const { username } = await newUser();
    expect(await call('GET', `/admin/users/${username}/credentials`)).toMatchObject({ status: 200, body: { credentials: [] } });
    expect(await call('GET', `/admin/users/nobody_${rand()}/credentials`)).toMatchObject({ status: 404, body: bad('No user with this username') });
  });

  it.each([
    [{ pin: '123456' }, 'Missing parameter algo'],
    [{ algo: 'ES512', pin: '123456' }, 'Invalid parameter algo: one of "ES256", "ES384", "RS256", "RS384", "PS256"'],
    [{ algo: 'RS256', rsaBits: 1024, pin: '123456' }, 'Invalid parameter rsaBits: one of 2048, 3072'],
    [{ algo: 'ES256', rsaBits: 2048, pin: '123456' }, 'Invalid parameter rsaBits: only for RS256, RS384 and PS256'],
    [{ algo: 'ES256' }, 'Missing parameter pin'],
    [{ algo: 'ES256', pin: '12ab' }, 'Invalid parameter pin: 4 to 16 digits'],
    [{ algo: 'ES256', pin: 123456 }, 'Invalid parameter pin: must be a string'],
    [{ algo: 'ES256', pin: '123456', multisign: 0 }, 'Invalid parameter multisign: an integer from 1 to 1000'],
    [{ algo: 'ES256', pin: '123456', multisign: 1.5 }, 'Invalid parameter multisign: an integer from 1 to 1000'],
    [{ algo: 'ES256', pin: '123456', scal: 2 }, 'Invalid parameter scal: one of "1", "2"'],
    [{ algo: 'ES256', pin: '123456', authMode: 'implicit' }, 'Invalid parameter authMode: one of "explicit", "oauth2code"'],
    [{ algo: 'ES256', pin: '123456', description: 'd'.repeat(256) }, 'Invalid parameter description: at most 255 characters'],
    [{ algo: 'ES256', pin: '123456', rsa_bits: 2048 }, 'Unknown parameter rsa_bits'],
  ])('refuses %j with "%s"', async (body, message) => {
    const { username } = await newUser();
    const before = admin.credentials.created.length;
    expect(await call('POST', `/admin/users/${username}/credentials`, body)).toMatchObject({ status: 400, body: bad(message) });
    expect(admin.credentials.created.length).toBe(before);
  });

  it('answers 404 when creating a credential for an unknown user', async () => {
    expect(await call('POST', `/admin/users/nobody_${rand()}/credentials`, { algo: 'ES256', pin: '123456' })).toMatchObject({
      status: 404,
      body: bad('No user with this username'),
    });
  });
});

describe('credential lifecycle', () => {
  it('disables, enables and unlocks a credential through the SAM', async () => {
    const { username } = await newUser();
    const id = await newCredential(username);
    expect(await call('POST', `/admin/credentials/${id}/disable`)).toMatchObject({ status: 200, body: { credentialID: id, enabled: false } });
    expect(admin.sam.states.get(id)!.enabled).toBe(false);
    expect((await call('GET', `/admin/users/${username}/credentials`)).body.credentials[0].enabled).toBe(false);
    expect(await call('POST', `/admin/credentials/${id}/enable`)).toMatchObject({ status: 200, body: { credentialID: id, enabled: true } });
    expect(admin.sam.states.get(id)!.enabled).toBe(true);

    admin.sam.states.get(id)!.locked = true;
    expect((await call('GET', `/admin/users/${username}/credentials`)).body.credentials[0].locked).toBe(true);
    expect(await call('POST', `/admin/credentials/${id}/unlock`)).toMatchObject({ status: 200, body: { credentialID: id, locked: false } });
    expect(admin.sam.states.get(id)!.locked).toBe(false);
  });

  it('answers 404 for an unknown credential on every credential route', async () => {
    for (const [method, path] of [
      ['POST', 'disable'],
      ['POST', 'enable'],
      ['POST', 'unlock'],
      ['POST', 'csr'],
    ]) {
      expect(await call(method!, `/admin/credentials/nope${rand()}/${path}`)).toMatchObject({ status: 404, body: bad('No credential with this credentialID') });
    }
    const pem = certPem(certificate('x', keyPair()));
    expect(await call('PUT', `/admin/credentials/nope${rand()}/certificates`, { chain: pem })).toMatchObject({
      status: 404,
      body: bad('No credential with this credentialID'),
    });
  });

  it('returns a CSR as PEM', async () => {
    const { username } = await newUser();
    const id = await newCredential(username);
    const res = await call('POST', `/admin/credentials/${id}/csr`);
    expect(res.status).toBe(200);
    expect(res.body.csr).toBe('-----BEGIN CERTIFICATE REQUEST-----\nMAMCAQc=\n-----END CERTIFICATE REQUEST-----\n');
  });

  it('imports a chain whose end-entity certificate carries the credential key, end-entity first', async () => {
    const { username } = await newUser();
    const id = await newCredential(username);
    // A certificate for the credential's key, issued by an external CA.
    const caKeys = keyPair();
    const ca = certificate('External CA', caKeys);
    const key = spkiOfCert(admin.credentials.records.get(id)!.certificates[0]!);
    const ee = certificate('Reissued', key, { name: 'External CA', keys: caKeys });
    const res = await call('PUT', `/admin/credentials/${id}/certificates`, { chain: `Bag Attributes: ignored\n${certPem(ee)}\n${certPem(ca)}` });
    expect(res).toMatchObject({ status: 200, body: { credentialID: id, certificates: 2 } });
    const stored = admin.credentials.records.get(id)!.certificates;
    expect(stored.map((c) => Buffer.from(c).toString('hex'))).toEqual([ee, ca].map((c) => Buffer.from(c).toString('hex')));
    expect(stored.map(subjectCN)).toEqual(['Reissued', 'External CA']);
  });

  it('refuses a chain for another key with 400 and a clear message, keeping the old chain', async () => {
    const { username } = await newUser();
    const id = await newCredential(username);
    const before = admin.credentials.records.get(id)!.certificates;
    const other = certificate('Someone else', keyPair());
    expect(await call('PUT', `/admin/credentials/${id}/certificates`, { chain: certPem(other) })).toMatchObject({
      status: 400,
      body: bad('The end-entity certificate does not match the key of the credential'),
    });
    expect(admin.credentials.records.get(id)!.certificates).toBe(before);
  });

  it('refuses a chain that is not PEM or whose certificates do not parse', async () => {
    const { username } = await newUser();
    const id = await newCredential(username);
    expect(await call('PUT', `/admin/credentials/${id}/certificates`, { chain: 'hello' })).toMatchObject({
      status: 400,
      body: bad('Invalid parameter chain: no PEM certificate found'),
    });
    const good = certPem(certificate('x', keyPair()));
    const broken = '-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n';
    expect(await call('PUT', `/admin/credentials/${id}/certificates`, { chain: good + broken })).toMatchObject({
      status: 400,
      body: bad('Invalid parameter chain: certificate 2 is not a valid X.509 certificate'),
    });
    expect(await call('PUT', `/admin/credentials/${id}/certificates`, {})).toMatchObject({ status: 400, body: bad('Missing parameter chain') });
  });

  it('maps a chain refused by the SAM for its links, and HSM failures, without leaking details', async () => {
    const { username } = await newUser();
    const id = await newCredential(username);
    const pem = certPem(certificate('x', keyPair()));
    admin.sam.failNext = new SamError('SAM_CERT_CHAIN_INVALID', 'link 1');
    expect(await call('PUT', `/admin/credentials/${id}/certificates`, { chain: pem })).toMatchObject({
      status: 400,
      body: bad('The certificate chain is invalid: each certificate must be issued by the next one'),
    });
    admin.sam.failNext = new SamError('SAM_HSM_UNAVAILABLE', 'CKR_DEVICE_REMOVED');
    expect(await call('POST', `/admin/credentials/${id}/disable`)).toMatchObject({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'The signing device is temporarily unavailable' },
    });
    admin.sam.failNext = new SamError('SAM_HSM_ERROR', 'CKR_GENERAL_ERROR');
    expect(await call('POST', `/admin/credentials/${id}/unlock`)).toMatchObject({
      status: 500,
      body: { error: 'server_error', error_description: 'The service encountered an unexpected condition' },
    });
    expect(admin.lines.some((l) => l.includes('"action":"credential.unlock"') && l.includes('CKR_GENERAL_ERROR'))).toBe(true);
  });
});

describe('GET /admin/ca/certificate', () => {
  it('returns the CA certificate as PEM', async () => {
    const res = await call('GET', '/admin/ca/certificate');
    expect(res.status).toBe(200);
    expect(res.body.certificate).toBe(certPem(admin.sam.ca));
    const der = new Uint8Array(Buffer.from(res.body.certificate.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));
    expect(subjectCN(der)).toBe('Test Admin CA');
    expect(res.body.certificate).toMatch(/^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+\/=]{64}\n)+[A-Za-z0-9+\/=]{1,64}\n-----END CERTIFICATE-----\n$/);
  });
});

describe('admin log', () => {
  it('records every action with its outcome, and no password, PIN or OTP secret', async () => {
    const username = `logged_${rand()}`;
    await call('POST', '/admin/users', { username, password: 'very-secret-password' });
    const otp = await call('POST', `/admin/users/${username}/otp`);
    await call('POST', `/admin/users/${username}/credentials`, { algo: 'ES256', pin: '98765432' });
    await call('POST', '/admin/users', { username, password: 'another-secret-pass' }); // refused: duplicate
    const mine = admin.lines.filter((l) => l.includes(username)).map((l) => JSON.parse(l));
    expect(mine.map((e) => [e.action, e.outcome])).toEqual([
      ['user.create', 'done'],
      ['otp.enroll', 'done'],
      ['credential.create', 'done'],
    ]);
    const refused = admin.lines.map((l) => JSON.parse(l)).filter((e) => e.action === 'user.create' && e.outcome === 'refused' && e.error === 'usernameTaken');
    expect(refused.length).toBeGreaterThan(0);
    const all = admin.lines.join('\n');
    for (const secret of ['very-secret-password', 'another-secret-pass', '98765432', otp.body.secret, ADMIN_TOKEN]) expect(all).not.toContain(secret);
  });
});
