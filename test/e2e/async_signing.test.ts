// Asynchronous signing (CSC v2 §11.10 operationMode "A", §11.12 signatures/signPolling; issue #11 item 2) with the
// service as processes: the SAM alone (SERVICES=sam) and api instances (SERVICES=api) sharing PostgreSQL, Redis and
// one job queue. Jobs made through one instance are performed by whichever takes them, each exactly once (the SAM's
// audit trail counts the signatures); a result reaches a response_uri that fails twice; an instance killed with jobs
// pending loses none of them.
import { verify, X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseWithRoles } from '../db_fixtures.ts';
import { csc, type Server, startServer } from './harness.ts';
import { authorize, digests, ES256, login, type Signer, signer, splitEnv, startSam } from './split_harness.ts';

let sam: Server;
let api1: Server;
let api2: Server;
let db: Awaited<ReturnType<typeof databaseWithRoles>>;
let apiEnv: Record<string, string>;
let samDb: pg.Pool;
let apiDb: pg.Pool;
let tlsDir: string;

beforeAll(async () => {
  db = await databaseWithRoles();
  const split = await splitEnv({ samDatabaseUrl: db.samUrl, apiDatabaseUrl: db.apiUrl, redisUrl: process.env.REDIS_URL! });
  tlsDir = split.tlsDir;
  apiEnv = { ...split.apiEnv, ASYNC_QUEUE: 'async-e2e', ASYNC_POLL_INTERVAL_MS: '50', CALLBACK_BACKOFF_MS: '200' };
  sam = await startSam(split.samEnv);
  api1 = await startServer(apiEnv);
  apiEnv.ADMIN_TOKEN = readFileSync(path.join(api1.dataDir, 'admin-token'), 'utf8').trim();
  api2 = await startServer(apiEnv);
  samDb = new pg.Pool({ connectionString: db.samUrl, max: 2 });
  apiDb = new pg.Pool({ connectionString: db.apiUrl, max: 2 });
  // The database is dropped WITH (FORCE) at the end: a connection cut then is no failure of the test.
  for (const pool of [samDb, apiDb]) pool.on('error', () => {});
}, 120_000);

afterAll(async () => {
  await api1?.stop();
  await api2?.stop();
  await sam?.stop();
  await samDb?.end();
  await apiDb?.end();
  await db?.drop();
  rmSync(path.dirname(tlsDir), { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pollUntilDone(server: Server, bearer: string, requestID: string) {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
    const res = await csc(server, 'signatures/signPolling', { requestID }, { bearer });
    if (res.status !== 202) return res;
    expect(res.body).toEqual({
      error: 'accepted_request',
      error_description: 'The previous asynchronous signature request has been accepted for processing, but the processing has not yet been completed',
    });
  }
  throw new Error(`job ${requestID} not done in time`);
}

async function publicKeyOf(server: Server, s: Signer, bearer: string) {
  const info = await csc(server, 'credentials/info', { credentialID: s.credentialID, certificates: 'single' }, { bearer });
  return new X509Certificate(Buffer.from(info.body.cert.certificates[0], 'base64')).publicKey;
}

/** Signatures the SAM made for the credential, from its audit trail. */
async function signaturesAudited(credentialID: string): Promise<number> {
  const { rows } = await samDb.query<{ n: string }>(
    `SELECT coalesce(sum(cardinality(hashes)), 0) AS n FROM sam.audit WHERE event = 'sign' AND result = 'ok' AND credential_id = $1`,
    [credentialID],
  );
  return Number(rows[0]!.n);
}

describe('operationMode "A" across api instances', () => {
  it('signs asynchronously: responseID, 202 while pending, signatures that verify, then the requestID is spent', async () => {
    const s = await signer(api1, ['--algo', 'ES256', '--multisign', '2']);
    const bearer = await login(api1, s);
    const hashes = digests('async one', 2);
    const SAD = await authorize(api1, s, bearer, hashes);
    const started = await csc(api1, 'signatures/signHash', {
      credentialID: s.credentialID, SAD, hashes, hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: ES256, operationMode: 'A', validity_period: 120_000,
    }, { bearer });
    expect(started.status).toBe(200);
    expect(Object.keys(started.body)).toEqual(['responseID']);
    const requestID = started.body.responseID as string;

    // Another signature application of the same user (another login session, another client) cannot collect it.
    const otherClient = await login(api2, s);
    expect((await csc(api2, 'signatures/signPolling', { requestID }, { bearer: otherClient })).body).toEqual({
      error: 'invalid_request', error_description: 'Invalid parameter requestID',
    });

    const done = await pollUntilDone(api2, bearer, requestID);
    expect(done.status).toBe(200);
    expect(done.body.signatures).toHaveLength(2);
    const key = await publicKeyOf(api1, s, bearer);
    for (const [i, sig] of (done.body.signatures as string[]).entries()) {
      expect(verify('sha256', Buffer.from(`async one ${i}`), key, Buffer.from(sig, 'base64')), `signature ${i}`).toBe(true);
    }
    const again = await csc(api1, 'signatures/signPolling', { requestID }, { bearer });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error: 'invalid_request', error_description: 'Invalid parameter requestID' });
    expect(await signaturesAudited(s.credentialID)).toBe(2);
    // The SAD left the jobs table with the job.
    expect((await apiDb.query('SELECT 1 FROM rssp.jobs WHERE id = $1', [requestID])).rowCount).toBe(0);
  }, 90_000);

  it('performs 200 jobs made through two instances exactly once each', async () => {
    const N = 200;
    const s = await signer(api1, ['--algo', 'ES256', '--multisign', String(N)]);
    const bearer = await login(api1, s);
    const hashes = digests('bulk', N);
    const SAD = await authorize(api1, s, bearer, hashes);
    const ids: string[] = [];
    for (let i = 0; i < N; i += 20) {
      const batch = await Promise.all(hashes.slice(i, i + 20).map((hash, j) =>
        csc((i + j) % 2 ? api2 : api1, 'signatures/signHash', {
          credentialID: s.credentialID, SAD, hashes: [hash], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: ES256, operationMode: 'A',
        }, { bearer })));
      for (const r of batch) {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        ids.push(r.body.responseID);
      }
    }
    expect(new Set(ids).size).toBe(N);
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(250)) {
      const { rows } = await apiDb.query<{ n: string }>(`SELECT count(*) AS n FROM rssp.jobs WHERE id = ANY($1) AND state IN ('done', 'failed')`, [ids]);
      if (Number(rows[0]!.n) === N) break;
    }
    const { rows } = await apiDb.query<{ state: string; attempts: number; n: string }>(
      'SELECT state, attempts, count(*) AS n FROM rssp.jobs WHERE id = ANY($1) GROUP BY state, attempts', [ids],
    );
    expect(rows.map((r) => ({ ...r, n: Number(r.n) }))).toEqual([{ state: 'done', attempts: 1, n: N }]);
    expect(await signaturesAudited(s.credentialID)).toBe(N);

    const key = await publicKeyOf(api1, s, bearer);
    for (const [i, requestID] of ids.entries()) {
      const res = await csc(i % 3 ? api1 : api2, 'signatures/signPolling', { requestID }, { bearer });
      expect(res.status).toBe(200);
      expect(verify('sha256', Buffer.from(`bulk ${i}`), key, Buffer.from(res.body.signatures[0], 'base64')), `job ${i}`).toBe(true);
    }
  }, 240_000);

  it('delivers the result to a response_uri that fails twice, once, and it can still be polled once', async () => {
    const received: { status: number; body: unknown; type?: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        const status = received.length < 2 ? 500 : 200;
        received.push({ status, body: JSON.parse(text), type: req.headers['content-type'] });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const s = await signer(api1);
      const bearer = await login(api2, s);
      const hashes = digests('callback', 1);
      const SAD = await authorize(api2, s, bearer, hashes);
      const response_uri = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/signed?order=7`;
      const started = await csc(api2, 'signatures/signHash', {
        credentialID: s.credentialID, SAD, hashes, hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: ES256, operationMode: 'A', response_uri,
      }, { bearer });
      const responseID = started.body.responseID as string;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && !received.some((r) => r.status === 200); ) await sleep(100);
      await sleep(1000); // nothing more comes after the 200
      expect(received.map((r) => r.status)).toEqual([500, 500, 200]);
      const key = await publicKeyOf(api1, s, bearer);
      for (const r of received) {
        expect(r.type).toBe('application/json');
        expect(Object.keys(r.body as object).sort()).toEqual(['responseID', 'signatures']);
        expect((r.body as { responseID: string }).responseID).toBe(responseID);
      }
      const sig = (received[2]!.body as { signatures: string[] }).signatures[0]!;
      expect(verify('sha256', Buffer.from('callback 0'), key, Buffer.from(sig, 'base64'))).toBe(true);
      const polled = await csc(api1, 'signatures/signPolling', { requestID: responseID }, { bearer });
      expect(polled).toMatchObject({ status: 200, body: { signatures: [sig] } });
    } finally {
      receiver.close();
    }
  }, 60_000);

  it('loses no job when the instance holding them is killed and started again', async () => {
    // An instance of its own queue, so that no other instance takes its jobs while it is down. First it performs
    // none (ASYNC_WORKER_CONCURRENCY=0): every job is pending when it is killed (SIGKILL). Started again it performs
    // them one at a time and is stopped (SIGTERM) in the middle: the job in flight finishes before it exits, the rest
    // stay pending; the third start performs them. (A SIGKILL between the SAM's signature and the job's commit would
    // make the next instance run that job again, which the SAM refuses once the SAD is spent: see rssp/jobs/.)
    const env = { ...apiEnv, ASYNC_QUEUE: 'async-e2e-restart', ASYNC_LEASE_SECONDS: '5' };
    let solo = await startServer({ ...env, ASYNC_WORKER_CONCURRENCY: '0' });
    const N = 12;
    const s = await signer(api1, ['--algo', 'ES256', '--multisign', String(N)]);
    const bearer = await login(solo, s);
    const hashes = digests('restart', N);
    const SAD = await authorize(solo, s, bearer, hashes);
    const ids = (await Promise.all(hashes.map((hash) => csc(solo, 'signatures/signHash', {
      credentialID: s.credentialID, SAD, hashes: [hash], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: ES256, operationMode: 'A',
    }, { bearer })))).map((r) => r.body.responseID as string);
    expect((await csc(solo, 'signatures/signPolling', { requestID: ids[0] }, { bearer })).status).toBe(202);
    await solo.kill();
    const unfinished = async () =>
      Number((await apiDb.query<{ n: string }>(`SELECT count(*) AS n FROM rssp.jobs WHERE id = ANY($1) AND state IN ('pending', 'running')`, [ids])).rows[0]!.n);
    expect(await unfinished()).toBe(N);

    solo = await startServer({ ...env, ASYNC_WORKER_CONCURRENCY: '1' });
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && (await unfinished()) === N; ) await sleep(20);
    await solo.stop();
    const left = await unfinished();
    expect(left).toBeLessThan(N);

    solo = await startServer({ ...env, ASYNC_WORKER_CONCURRENCY: '1' });
    try {
      const key = await publicKeyOf(solo, s, bearer);
      for (const [i, requestID] of ids.entries()) {
        const res = await pollUntilDone(solo, bearer, requestID);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(verify('sha256', Buffer.from(`restart ${i}`), key, Buffer.from(res.body.signatures[0], 'base64'))).toBe(true);
      }
      expect(await signaturesAudited(s.credentialID)).toBe(N);
    } finally {
      await solo.stop();
    }
  }, 150_000);

  it('refuses bad asynchronous parameters with the wording of §11.10, before anything is stored', async () => {
    const s = await signer(api1);
    const bearer = await login(api1, s);
    const base = { credentialID: s.credentialID, SAD: 'x.y.z', hashes: digests('bad', 1), hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: ES256 };
    const cases: [Record<string, unknown>, string][] = [
      [{ operationMode: 'X' }, 'Invalid parameter operationMode'],
      [{ operationMode: 'A', validity_period: 0 }, 'Out of bounds parameter validity_period'],
      [{ operationMode: 'A', validity_period: -60_000 }, 'Out of bounds parameter validity_period'],
      [{ operationMode: 'A', validity_period: 86_400_001 }, 'Out of bounds parameter validity_period'],
      [{ operationMode: 'A', validity_period: '60000' }, 'Invalid parameter validity_period'],
      [{ operationMode: 'A', response_uri: 'not a uri' }, 'Invalid parameter response_uri'],
      [{ operationMode: 'A', response_uri: 'mailto:app@example.org' }, 'Invalid parameter response_uri'],
    ];
    const before = await apiDb.query('SELECT count(*) AS n FROM rssp.jobs');
    for (const [extra, description] of cases) {
      const res = await csc(api1, 'signatures/signHash', { ...base, ...extra }, { bearer });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body, JSON.stringify(extra)).toEqual({ error: 'invalid_request', error_description: description });
    }
    expect((await apiDb.query('SELECT count(*) AS n FROM rssp.jobs')).rows[0].n).toBe(before.rows[0].n);
    const info = await csc(api2, 'info', {});
    expect(info.body.asynchronousOperationMode).toBe(true);
    expect(info.body.methods).toContain('signatures/signPolling');
  }, 60_000);
});
