// SIGTERM (issue #10 item 5): the process stops accepting, lets the request in flight finish — here a batch
// signHash of 1000 RSA signatures, long enough to be caught mid-way — answers it in full, and exits 0.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, csc, type Server, startServer, totp } from './harness.ts';

let server: Server;

beforeAll(async () => {
  server = await startServer({ DATABASE_URL: process.env.DATABASE_URL!, REDIS_URL: process.env.REDIS_URL!, SHUTDOWN_GRACE_SECONDS: '60' });
}, 90_000);
afterAll(async () => server?.stop());

describe('shutdown', () => {
  it('finishes the signHash in flight on SIGTERM, then refuses new connections and exits 0', async () => {
    const username = `sd${randomBytes(4).toString('hex')}`;
    expect((await admin(server, 'user:create', '--username', username, '--password', 'pw-shutdown-1')).code).toBe(0);
    const { secret } = (await admin(server, 'otp:enroll', '--username', username)).json;
    const created = await admin(server, 'credential:create', '--username', username, '--algo', 'RS256', '--rsa-bits', '3072', '--pin', '13579', '--multisign', '1000');
    expect(created.code, created.stderr).toBe(0);
    const { credentialID } = created.json;
    const bearer = (await csc(server, 'auth/login', {}, { basic: [username, 'pw-shutdown-1'] })).body.access_token;
    const hashes = Array.from({ length: 1000 }, (_, i) => createHash('sha256').update(`doc ${i}`).digest('base64'));
    const auth = await csc(server, 'credentials/authorize', {
      credentialID, numSignatures: 1000, hashes, hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
      authData: [{ id: 'PIN', value: '13579' }, { id: 'OTP', value: await totp(secret) }],
    }, { bearer });
    expect(auth.status).toBe(200);

    const signing = csc(server, 'signatures/signHash', { credentialID, SAD: auth.body.SAD, hashes, signAlgo: '1.2.840.113549.1.1.1', hashAlgorithmOID: '2.16.840.1.101.3.4.2.1' }, { bearer });
    let answered = false;
    void signing.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false); // really in flight when the signal arrives
    process.kill(server.pid, 'SIGTERM');
    const signed = await signing;
    expect(signed.status).toBe(200);
    expect(signed.body.signatures).toHaveLength(1000);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    await waitForExit(server);
    expect(server.exitCode()).toBe(0);
    expect(server.output()).not.toMatch(/cut/);
  }, 90_000);
});

async function waitForExit(s: Server): Promise<void> {
  for (let i = 0; i < 200 && s.exitCode() === null; i++) await new Promise((r) => setTimeout(r, 100));
}
