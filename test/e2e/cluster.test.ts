// CLUSTER_WORKERS (issue #6): `npm start` as a node:cluster primary; the workers share one port and one
// PostgreSQL/Redis, and a SAD minted through one worker is consumed through another.
import { randomBytes, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, csc, type Server, startServer, totp } from './harness.ts';

let server: Server;

beforeAll(async () => {
  server = await startServer({
    CLUSTER_WORKERS: '2',
    RUNTIME_METRICS: '1',
    DATABASE_URL: process.env.DATABASE_URL!,
    REDIS_URL: process.env.REDIS_URL!,
  });
}, 90_000);
afterAll(async () => server?.stop());

/** One request on a fresh connection, so that the primary hands it to the next worker. */
function metricsPid(): Promise<number> {
  const token = readFileSync(path.join(server.dataDir, 'admin-token'), 'utf8').trim();
  return new Promise((resolve, reject) => {
    const req = http.get(`${server.url}/admin/runtime-metrics`, { agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(JSON.parse(body).pid));
    });
    req.on('error', reject);
  });
}

describe('cluster mode', () => {
  it('serves from two worker processes on one port', async () => {
    // The first worker answers as soon as it listens; the second starts after it (main.ts), so give it time.
    const pids = new Set<number>();
    const deadline = Date.now() + 60_000;
    while (pids.size < 2 && Date.now() < deadline) {
      pids.add(await metricsPid());
      if (pids.size < 2) await new Promise((r) => setTimeout(r, 200));
    }
    expect(pids.size).toBe(2);
  }, 70_000);

  it('signs across workers: the state is in PostgreSQL, not in a process', async () => {
    const username = `cl${randomBytes(4).toString('hex')}`;
    expect((await admin(server, 'user:create', '--username', username, '--password', 'pw-cluster-1')).code).toBe(0);
    const { secret } = (await admin(server, 'otp:enroll', '--username', username)).json;
    const { credentialID } = (await admin(server, 'credential:create', '--username', username, '--algo', 'ES256', '--pin', '123456')).json;
    const login = await csc(server, 'auth/login', {}, { basic: [username, 'pw-cluster-1'] });
    const bearer = login.body.access_token as string;
    const hash = createHash('sha256').update('cluster').digest('base64');
    const auth = await csc(
      server,
      'credentials/authorize',
      {
        credentialID,
        numSignatures: 1,
        hashes: [hash],
        hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
        authData: [{ id: 'PIN', value: '123456' }, { id: 'OTP', value: await totp(secret) }],
      },
      { bearer },
    );
    expect(auth.status).toBe(200);
    const body = { credentialID, SAD: auth.body.SAD, hashes: [hash], signAlgo: '1.2.840.10045.4.3.2' };
    const first = await csc(server, 'signatures/signHash', body, { bearer });
    expect(first.status).toBe(200);
    expect(first.body.signatures).toHaveLength(1);
    // The same SAD again (whichever worker gets it) is spent.
    const again = await csc(server, 'signatures/signHash', body, { bearer });
    expect(again.status).toBe(400);
  }, 60_000);
});
