// `npm run build` (scripts/build.sh): the service as plain JavaScript, as the Docker image runs it. Built into a
// directory of its own, started with `node <dir>/main.js`, and taken through a whole signature: migrations,
// OpenAPI documents, the logo and the PKCS#11 backend must all be found next to the compiled code.
import { execFile } from 'node:child_process';
import { createHash, randomBytes, verify, X509Certificate } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, csc, type Server, startServer, totp } from './harness.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const out = path.join('.build', `e2e-${randomBytes(4).toString('hex')}`);
let server: Server;

beforeAll(async () => {
  await promisify(execFile)('bash', ['scripts/build.sh', out], { cwd: ROOT });
  server = await startServer({}, { entry: [path.join(out, 'main.js')] });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  rmSync(path.join(ROOT, out), { recursive: true, force: true });
});

describe('the compiled service', () => {
  it('holds JavaScript and the files the code reads, and no TypeScript', () => {
    for (const f of ['main.js', 'sam/migrations/001_sam.sql', 'openapi/csc-v2.yaml', 'rssp/http/logo.png', 'softhsm-config/softhsm2.conf.template']) {
      expect(existsSync(path.join(ROOT, out, f)), f).toBe(true);
    }
    expect(existsSync(path.join(ROOT, out, 'main.ts'))).toBe(false);
  });

  it('serves its documents and signs a hash that verifies under the certificate', async () => {
    expect((await fetch(`${server.url}/csc/v2/openapi.yaml`)).status).toBe(200);
    expect((await fetch(`${server.url}/csc/v2/logo.png`)).headers.get('content-type')).toBe('image/png');

    const username = `built-${randomBytes(3).toString('hex')}`;
    expect((await admin(server, 'user:create', '--username', username, '--password', 'built pass')).code).toBe(0);
    const secret = (await admin(server, 'otp:enroll', '--username', username)).json.secret;
    const credentialID = (await admin(server, 'credential:create', '--username', username, '--algo', 'ES256', '--pin', '2468')).json.credentialID;
    const login = await csc(server, 'auth/login', {}, { basic: [username, 'built pass'] });
    const bearer = login.body.access_token;
    const digest = createHash('sha256').update('compiled').digest();
    const auth = await csc(server, 'credentials/authorize', {
      credentialID, numSignatures: 1, hashes: [digest.toString('base64')], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
      authData: [{ id: 'PIN', value: '2468' }, { id: 'OTP', value: await totp(secret, 0) }],
    }, { bearer });
    expect(auth.status).toBe(200);
    const sign = await csc(server, 'signatures/signHash', { credentialID, SAD: auth.body.SAD, hashes: [digest.toString('base64')], signAlgo: '1.2.840.10045.4.3.2' }, { bearer });
    expect(sign.status).toBe(200);
    const info = await csc(server, 'credentials/info', { credentialID, certificates: 'single' }, { bearer });
    const cert = new X509Certificate(Buffer.from(info.body.cert.certificates[0], 'base64'));
    // The client hashed "compiled"; the signature (DER ECDSA) is over that digest.
    expect(verify('sha256', Buffer.from('compiled'), cert.publicKey, Buffer.from(sign.body.signatures[0], 'base64'))).toBe(true);
  }, 120_000);
});
