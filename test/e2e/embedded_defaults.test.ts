// `npm start` on a bare machine (DESIGN §3): no DATABASE_URL, no REDIS_URL, no PKCS11_MODULE. The service must
// create its PGlite database, its SoftHSM token and its secrets under DATA_DIR on first start, keep them across a
// restart, and sign. Also where a SAD's short life is observed from outside.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { admin, csc, type Server, startServer, totp } from './harness.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rssp-embedded-'));
// A short SAD life, so that its expiry is observed in seconds (issue #15 item 8) rather than after a 31 s sleep.
const SAD_SECONDS = 5;
const embedded = { DATABASE_URL: '', REDIS_URL: '', SAD_LIFETIME_SECONDS: String(SAD_SECONDS) };
let server: Server | undefined;

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded defaults', () => {
  const username = `emb-${randomBytes(3).toString('hex')}`;
  let credentialID = '';
  let secret = '';

  it('first start creates the database, the token and the admin token under DATA_DIR', async () => {
    server = await startServer(embedded, { dataDir, keepData: true });
    expect(existsSync(path.join(dataDir, 'pglite'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'softhsm'))).toBe(true);
    expect(statSync(path.join(dataDir, 'admin-token')).mode & 0o077).toBe(0);
    expect((await admin(server, 'user:create', '--username', username, '--password', 'embedded pass')).code).toBe(0);
    secret = (await admin(server, 'otp:enroll', '--username', username)).json.secret;
    credentialID = (await admin(server, 'credential:create', '--username', username, '--algo', 'ES256', '--pin', '4321')).json.credentialID;
    expect(credentialID).toMatch(/^[A-Za-z0-9_-]{8,}$/);
  }, 120_000);

  it('a restart keeps users, keys, certificates and secrets', async () => {
    const adminToken = readFileSync(path.join(dataDir, 'admin-token'), 'utf8');
    await server!.stop();
    server = await startServer(embedded, { dataDir, keepData: true });
    expect(readFileSync(path.join(dataDir, 'admin-token'), 'utf8')).toBe(adminToken);
    const login = await csc(server, 'auth/login', {}, { basic: [username, 'embedded pass'] });
    expect(login.status).toBe(200);
    const hash = createHash('sha256').update('kept').digest('base64');
    const auth = await csc(server, 'credentials/authorize', { credentialID, numSignatures: 1, hashes: [hash], hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '4321' }, { id: 'OTP', value: await totp(secret, -1) }] }, { bearer: login.body.access_token });
    expect(auth.status).toBe(200);
    expect(auth.body.expiresIn).toBe(SAD_SECONDS);
    const sign = await csc(server, 'signatures/signHash', { credentialID, SAD: auth.body.SAD, hashes: [hash], signAlgo: '1.2.840.10045.4.3.2' }, { bearer: login.body.access_token });
    expect(sign.status).toBe(200);
  }, 120_000);

  it('a SAD is refused once it has expired', async () => {
    const login = await csc(server!, 'auth/login', {}, { basic: [username, 'embedded pass'] });
    const hash = createHash('sha256').update('late').digest('base64');
    const auth = await csc(server!, 'credentials/authorize', { credentialID, numSignatures: 1, hashes: [hash], hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '4321' }, { id: 'OTP', value: await totp(secret, 0) }] }, { bearer: login.body.access_token });
    expect(auth.status).toBe(200);
    await new Promise((r) => setTimeout(r, (SAD_SECONDS + 1) * 1000));
    const sign = await csc(server!, 'signatures/signHash', { credentialID, SAD: auth.body.SAD, hashes: [hash], signAlgo: '1.2.840.10045.4.3.2' }, { bearer: login.body.access_token });
    expect(sign).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'SAD expired' } });
  }, 60_000);
});
