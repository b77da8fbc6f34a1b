// Asynchronous signHash (CSC v2 §11.10 operationMode "A") and signatures/signPolling (§11.12) in front of the fake
// SAM, with the real jobs table (PostgreSQL), the real worker and a real callback receiver on loopback.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SamError } from '../../../core/sam_port.ts';
import { createPool, type Db } from '../../../core/db.ts';
import { JobStore, purgeJobs } from '../../../rssp/jobs/job_store.ts';
import { startJobWorker, type JobWorker } from '../../../rssp/jobs/worker.ts';
import { addCredential, b64, csc, rand, refusal, sha256, signer, startApp, type TestApp } from './helpers.ts';
import { createHash } from 'node:crypto';

let app: TestApp;
let db: Db;
let worker: JobWorker | undefined;
beforeAll(async () => {
  app = await startApp();
  db = createPool(process.env.DATABASE_URL!, 2);
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  app.sam.fail = {};
});
afterAll(async () => {
  await db?.end();
  await app?.close();
});

/** The worker of this app, quick to notice jobs and to retry deliveries. */
function startWorker() {
  const config = app.deps.config.rssp.async;
  worker = startJobWorker({
    store: app.deps.jobs,
    deps: app.deps,
    config: { ...config, pollIntervalMs: 20, callback: { maxAttempts: 4, backoffMs: 50, timeoutMs: 1000, publicOnly: false } },
    log: app.deps.log,
  });
}

const fakeSignature = (digest: Uint8Array) => createHash('sha256').update(digest).digest('base64');

async function setup() {
  const s = signer(app);
  const cred = await addCredential(app, s.user.id);
  const hash = sha256(`doc ${rand()}`);
  const body = (extra: Record<string, unknown> = {}) => ({
    credentialID: cred.credentialID, SAD: 'the-sad', hashes: [b64(hash)], signAlgo: '1.2.840.10045.4.3.2', operationMode: 'A', ...extra,
  });
  return { ...s, cred, hash, body };
}

async function pollUntilDone(token: string, requestID: string) {
  for (let i = 0; i < 200; i++) {
    const res = await csc(app, 'signatures/signPolling', { requestID }, { bearer: token });
    if (res.status !== 202) return res;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('job not done');
}

const row = async (id: string) => (await db.query('SELECT state, sad, input, result, attempts, delivery_state, delivery_attempts FROM rssp.jobs WHERE id = $1', [id])).rows[0];

describe('operationMode "A" and signatures/signPolling', () => {
  it('answers 202 accepted_request until the job ran, then the signatures once, then refuses the requestID', async () => {
    const { user, token, cred, hash, body } = await setup();
    const started = await csc(app, 'signatures/signHash', body(), { bearer: token, headers: { 'x-request-id': 'req-async-1' } });
    expect(started.status).toBe(200);
    const requestID = started.body.responseID as string;
    expect(await csc(app, 'signatures/signPolling', { requestID }, { bearer: token })).toMatchObject(
      refusal(202, 'accepted_request', 'The previous asynchronous signature request has been accepted for processing, but the processing has not yet been completed'),
    );
    expect((await row(requestID)).sad).toBe('the-sad');

    startWorker();
    for (let i = 0; i < 200 && (await row(requestID)).state !== 'done'; i++) await new Promise((r) => setTimeout(r, 20));
    // The SAD and the request are gone from the row once the job ran; the result waits for its poll.
    expect(await row(requestID)).toMatchObject({ state: 'done', sad: null, input: {}, result: { signatures: [fakeSignature(hash)] } });
    const grant = app.tokens.grants.get(token)!;
    expect(app.sam.callsOf('signHash').at(-1)).toMatchObject({
      sad: 'the-sad', userId: user.id, clientId: grant.clientId, credentialID: cred.credentialID, signAlgo: '1.2.840.10045.4.3.2',
      ctx: { requestId: 'req-async-1' },
    });

    const done = await csc(app, 'signatures/signPolling', { requestID, clientData: 'c' }, { bearer: token });
    expect(done).toMatchObject({ status: 200, body: { signatures: [fakeSignature(hash)] } });
    expect(await csc(app, 'signatures/signPolling', { requestID }, { bearer: token })).toMatchObject(
      refusal(400, 'invalid_request', 'Invalid parameter requestID'),
    );
  });

  it('refuses another client\'s, another user\'s and an unknown requestID alike', async () => {
    const { user, token, body } = await setup();
    const { responseID } = (await csc(app, 'signatures/signHash', body(), { bearer: token })).body;
    const sameUserOtherClient = app.tokens.issue(user.id, { clientId: 'another-app' });
    const otherUser = signer(app).token;
    for (const bearer of [sameUserOtherClient, otherUser]) {
      expect(await csc(app, 'signatures/signPolling', { requestID: responseID }, { bearer })).toMatchObject(
        refusal(400, 'invalid_request', 'Invalid parameter requestID'),
      );
    }
    expect(await csc(app, 'signatures/signPolling', { requestID: 'x'.repeat(43) }, { bearer: token })).toMatchObject(
      refusal(400, 'invalid_request', 'Invalid parameter requestID'),
    );
    // The owner still gets it: the refusals above took nothing.
    startWorker();
    expect(await pollUntilDone(token, responseID)).toMatchObject({ status: 200 });
  });

  it('refuses a userID and a missing requestID with the wording of §11.12', async () => {
    const { user, token } = await setup();
    expect(await csc(app, 'signatures/signPolling', { requestID: 'r', userID: user.id }, { bearer: token })).toMatchObject(
      refusal(400, 'invalid_request', 'userID parameter SHALL be null'),
    );
    expect(await csc(app, 'signatures/signPolling', { requestID: 'r', userID: null }, { bearer: token })).toMatchObject(
      refusal(400, 'invalid_request', 'Invalid parameter requestID'),
    );
    expect(await csc(app, 'signatures/signPolling', {}, { bearer: token })).toMatchObject(
      refusal(400, 'invalid_request', 'Missing (or invalid type) string parameter requestID'),
    );
    expect(await csc(app, 'signatures/signPolling', { requestID: 5 }, { bearer: token })).toMatchObject(
      refusal(400, 'invalid_request', 'Missing (or invalid type) string parameter requestID'),
    );
  });

  it('hands out the SAM\'s refusal as the job\'s outcome, once', async () => {
    const { token, body } = await setup();
    app.sam.fail.signHash = new SamError('SAM_SAD_EXPIRED');
    const { responseID } = (await csc(app, 'signatures/signHash', body(), { bearer: token })).body;
    startWorker();
    expect(await pollUntilDone(token, responseID)).toMatchObject(refusal(400, 'invalid_request', 'SAD expired'));
    expect(await csc(app, 'signatures/signPolling', { requestID: responseID }, { bearer: token })).toMatchObject(
      refusal(400, 'invalid_request', 'Invalid parameter requestID'),
    );
  });

  it('tries a job again when the SAM was unavailable', async () => {
    const { token, hash, body } = await setup();
    app.sam.fail.signHash = new SamError('SAM_HSM_UNAVAILABLE');
    const { responseID } = (await csc(app, 'signatures/signHash', body(), { bearer: token })).body;
    const before = app.sam.callsOf('signHash').length;
    startWorker();
    for (let i = 0; i < 200 && app.sam.callsOf('signHash').length === before; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    expect(await row(responseID)).toMatchObject({ state: 'running', attempts: 1 });
    expect(await csc(app, 'signatures/signPolling', { requestID: responseID }, { bearer: token })).toMatchObject({ status: 202 });
    app.sam.fail = {};
    // The second attempt comes a second after the first (worker.ts).
    expect(await pollUntilDone(token, responseID)).toMatchObject({ status: 200, body: { signatures: [fakeSignature(hash)] } });
  });

  it('POSTs the result to response_uri, again after failures, once delivered; the result can still be polled once', async () => {
    const received: { status: number; body: any }[] = [];
    const receiver = http.createServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        const status = received.length < 2 ? 500 : 200;
        received.push({ status, body: JSON.parse(text) });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const { token, hash, body } = await setup();
      const uri = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb?tx=1`;
      const { responseID } = (await csc(app, 'signatures/signHash', body({ response_uri: uri }), { bearer: token })).body;
      startWorker();
      for (let i = 0; i < 200 && (await row(responseID))?.delivery_state !== 'delivered'; i++) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 300)); // no further delivery after the 200
      expect(received.map((r) => r.status)).toEqual([500, 500, 200]);
      for (const r of received) expect(r.body).toEqual({ responseID, signatures: [fakeSignature(hash)] });
      expect((await row(responseID)).delivery_attempts).toBe(3);
      expect(await csc(app, 'signatures/signPolling', { requestID: responseID }, { bearer: token })).toMatchObject({ status: 200 });
    } finally {
      receiver.close();
    }
  });

  it('validity_period: default and maximum from the configuration; a job past it is gone and purged', async () => {
    const { token, body } = await setup();
    const { responseID } = (await csc(app, 'signatures/signHash', body(), { bearer: token })).body;
    const { rows: [r] } = await db.query<{ ms: number }>('SELECT extract(epoch FROM expires_at - created_at) * 1000 AS ms FROM rssp.jobs WHERE id = $1', [responseID]);
    expect(Math.round(Number(r!.ms))).toBe(app.deps.config.rssp.async.validityDefaultMs);
    const short = (await csc(app, 'signatures/signHash', body({ validity_period: 1 }), { bearer: token })).body.responseID;
    await new Promise((res) => setTimeout(res, 20));
    expect(await csc(app, 'signatures/signPolling', { requestID: short }, { bearer: token })).toMatchObject(
      refusal(400, 'invalid_request', 'Invalid parameter requestID'),
    );
    await purgeJobs(db, new Date());
    expect(await row(short)).toBeUndefined();
    expect(await row(responseID)).toBeDefined();
    expect(await csc(app, 'signatures/signHash', body({ validity_period: app.deps.config.rssp.async.validityMaxMs }), { bearer: token })).toMatchObject({ status: 200 });
  });
});

describe('the jobs table', () => {
  const owner = { userId: 'u', clientId: 'c' };
  const request = { requestId: 'r' };
  const newJob = { kind: 'signatures/signHash', owner, input: {}, sad: 's', request, validityMs: 60_000 };

  it('gives each job to exactly one of several claimers at once', async () => {
    const store = new JobStore(db, `claims-${rand()}`);
    const ids = new Set(await Promise.all(Array.from({ length: 40 }, () => store.enqueue(newJob))));
    const claimers = Array.from({ length: 4 }, () => new JobStore(db, (store as unknown as { queue: string }).queue));
    const taken: string[] = [];
    for (;;) {
      const rounds = await Promise.all(claimers.map((c) => c.claim({ limit: 3, leaseSeconds: 60, maxAttempts: 3 })));
      const got = rounds.flat();
      if (!got.length) break;
      taken.push(...got.map((j) => j.id));
    }
    expect(taken.length).toBe(40);
    expect(new Set(taken)).toEqual(ids);
  });

  it('takes a job again once the lease of a claim that never finished has passed; the old claim can no longer finish it', async () => {
    const store = new JobStore(db, `lease-${rand()}`);
    const id = await store.enqueue(newJob);
    const [first] = await store.claim({ limit: 1, leaseSeconds: 1, maxAttempts: 3 });
    expect(first!.id).toBe(id);
    expect(await store.claim({ limit: 1, leaseSeconds: 1, maxAttempts: 3 })).toEqual([]);
    await new Promise((r) => setTimeout(r, 1100));
    const [second] = await store.claim({ limit: 1, leaseSeconds: 60, maxAttempts: 3 });
    expect(second).toMatchObject({ id, attempts: 2, sad: 's' });
    expect(await store.finish(first!, { state: 'done', body: { signatures: ['stale'] } })).toBe(false);
    expect(await store.finish(second!, { state: 'done', body: { signatures: ['fresh'] } })).toBe(true);
    expect(await store.take(id, owner)).toEqual({ state: 'done', body: { signatures: ['fresh'] } });
  });

  it('fails a job whose claims keep dying once it has had its attempts', async () => {
    const store = new JobStore(db, `attempts-${rand()}`);
    const id = await store.enqueue(newJob);
    await store.claim({ limit: 1, leaseSeconds: 1, maxAttempts: 1 });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await store.claim({ limit: 1, leaseSeconds: 1, maxAttempts: 1 })).toEqual([]);
    expect(await store.take(id, owner)).toMatchObject({
      state: 'failed', error: { status: 500, error: 'server_error', error_description: 'The service encountered an unexpected condition' },
    });
  });

  it('keeps the queues of two deployments apart', async () => {
    const a = new JobStore(db, `a-${rand()}`);
    const b = new JobStore(db, `b-${rand()}`);
    const id = await a.enqueue(newJob);
    expect(await b.claim({ limit: 10, leaseSeconds: 60, maxAttempts: 3 })).toEqual([]);
    expect(await b.take(id, owner)).toEqual({ state: 'none' });
    expect(await a.take(id, owner)).toEqual({ state: 'pending' });
  });
});
