// Proof under faults (issue #10 item 6), split mode on loopback with a PostgreSQL cluster and a redis-server of the
// test's own (test/e2e/fault_fixtures.ts), killed and started again under load: answers are 200 or 503 with a CSC
// error body, never 500; no SAD signs more than it authorizes; no signature leaves without its audit row; service
// comes back within 5 s of each dependency. Bounded: a handful of clients, a few hundred requests per scenario.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownPostgres, ownRedis, type OwnPostgres, type OwnRedis } from './fault_fixtures.ts';
import { admin, type Server, startServer, totp } from './harness.ts';
import { authorize, digests, ES256, login, SHA256, signer, splitEnv, startSam, type Signer, type Split } from './split_harness.ts';

let pgc: OwnPostgres;
let redis: OwnRedis;
let split: Split;
let sam: Server;
let samDataDir: string;
let apis: Server[];
let sql: pg.Pool;

const SAD_EXHAUSTED = { error: 'invalid_request', error_description: 'The SAD has been used for all the signatures it authorizes' };
const HASH_NOT_AUTHORIZED = { error: 'invalid_request', error_description: 'Hash is not authorized by the SAD' };

type Answer = { status: number; body: any } | { status: 'no-connection'; body: string };

/** One CSC call, without assertions: under faults a connection may be refused, and that is an answer too. */
async function post(server: Server, op: string, body: unknown, bearer: string): Promise<Answer> {
  try {
    const res = await fetch(`${server.url}/csc/v2/${op}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch (err) {
    return { status: 'no-connection', body: String((err as Error).cause ?? err) };
  }
}

/** Signs `hashes` one request each, `workers` at a time, round-robin over the api instances; runs `during` alongside. */
async function signEach(s: Signer, bearer: string, sad: string, hashes: string[], during: () => Promise<void>, workers = 4) {
  const answers: Array<{ hash: string; answer: Answer; at: number }> = [];
  const queue = [...hashes];
  let i = 0;
  const worker = async () => {
    for (let h = queue.shift(); h !== undefined; h = queue.shift()) {
      const api = apis[i++ % apis.length]!;
      const answer = await post(api, 'signatures/signHash', { credentialID: s.credentialID, SAD: sad, hashes: [h], hashAlgorithmOID: SHA256, signAlgo: ES256 }, bearer);
      answers.push({ hash: h, answer, at: Date.now() });
      // Paced: a few hundred requests spread over the fault, not a burst before it.
      await new Promise((r) => setTimeout(r, 15));
    }
  };
  await Promise.all([...Array.from({ length: workers }, worker), during()]);
  return answers;
}

/** Every answer is a success or a CSC 503; every success signed a hash nobody else got. */
function expectNoServerErrors(answers: Array<{ hash: string; answer: Answer }>) {
  const unexpected = answers.filter(({ answer: a }) => !(a.status === 200 || (a.status === 503 && typeof a.body?.error === 'string' && typeof a.body?.error_description === 'string')));
  expect(unexpected.map((u) => u.answer)).toEqual([]);
  const signed = answers.filter((a) => a.answer.status === 200).map((a) => a.hash);
  expect(new Set(signed).size).toBe(signed.length);
  return signed;
}

/** How long after `since` the first success came, ms. */
async function recovery(since: number, attempt: () => Promise<Answer>, within = 10_000): Promise<number> {
  for (;;) {
    const a = await attempt();
    if (a.status === 200) return Date.now() - since;
    if (Date.now() - since > within) throw new Error(`no recovery in ${within} ms: ${JSON.stringify(a)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The hashes of the 'sign' audit rows of a SAD, straight from the SAM's table. */
async function auditedHashes(credentialID: string): Promise<string[]> {
  const { rows } = await sql.query<{ hashes: string[] }>(`SELECT hashes FROM sam.audit WHERE event = 'sign' AND result = 'ok' AND credential_id = $1`, [credentialID]);
  return rows.flatMap((r) => r.hashes);
}

beforeAll(async () => {
  [pgc, redis] = await Promise.all([ownPostgres(), ownRedis()]);
  sql = new pg.Pool({ connectionString: pgc.url, max: 2 });
  sql.on('error', () => {});
  split = await splitEnv({ samDatabaseUrl: pgc.url, apiDatabaseUrl: pgc.url, redisUrl: redis.url });
  sam = await startSam(split.samEnv, { keepData: true });
  samDataDir = sam.dataDir;
  const first = await startServer(split.apiEnv);
  const token = { ADMIN_TOKEN: readFileSync(`${first.dataDir}/admin-token`, 'utf8').trim() };
  apis = [first, ...(await Promise.all([startServer({ ...split.apiEnv, ...token }), startServer({ ...split.apiEnv, ...token })]))];
}, 180_000);

afterAll(async () => {
  for (const a of apis ?? []) await a.stop();
  await sam?.stop();
  await sql?.end();
  await redis?.stop();
  await pgc?.stop();
});

describe('faults, split mode, under load', () => {
  it('one SAD for 10 hashes, 1000 parallel requests over 3 api instances: exactly 10 signatures', async () => {
    const s = await signer(apis[0]!, ['--algo', 'ES256', '--multisign', '10']);
    const bearer = await login(apis[1]!, s);
    const hashes = digests(`race ${randomUUID()}`, 10);
    const sad = await authorize(apis[2]!, s, bearer, hashes);
    const answers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        post(apis[i % 3]!, 'signatures/signHash', { credentialID: s.credentialID, SAD: sad, hashes: [hashes[i % 10]], hashAlgorithmOID: SHA256, signAlgo: ES256 }, bearer),
      ),
    );
    const ok = answers.filter((a) => a.status === 200);
    expect(ok).toHaveLength(10);
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused.every((a) => a.status === 400 && [SAD_EXHAUSTED, HASH_NOT_AUTHORIZED].some((e) => JSON.stringify(e) === JSON.stringify(a.body)))).toBe(true);
    expect((await auditedHashes(s.credentialID)).sort()).toEqual([...hashes].sort());
  }, 120_000);

  it('Redis killed and restarted: factor limits refuse with 503, signing goes on, no over-use, back within 5 s', async () => {
    const s = await signer(apis[0]!, ['--algo', 'ES256', '--multisign', '300']);
    const bearer = await login(apis[0]!, s);
    const hashes = digests(`redis ${randomUUID()}`, 300);
    const sad = await authorize(apis[0]!, s, bearer, hashes);
    // Ready before the fault: the recovery is timed from Redis being back to this authorization passing.
    const s2 = await signer(apis[0]!);
    const bearer2 = await login(apis[0]!, s2);
    const h = digests(`redis back ${randomUUID()}`, 1);
    const otp = await totp(s2.secret);
    let recoveredIn = Infinity;
    let refusedWhileDown: Answer | undefined;
    const answers = await signEach(s, bearer, sad, hashes, async () => {
      await new Promise((r) => setTimeout(r, 800));
      await redis.kill();
      // credentials/authorize is throttled per client to protect the factors: without Redis it refuses.
      refusedWhileDown = await post(apis[1]!, 'credentials/authorize', {
        credentialID: s.credentialID, numSignatures: 1, hashes: [hashes[0]], hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: s.pin }, { id: 'OTP', value: '000000' }],
      }, bearer);
      await new Promise((r) => setTimeout(r, 1500));
      await redis.start();
      // Timed while the load goes on, from Redis answering again to an authorization passing.
      recoveredIn = await recovery(Date.now(), () =>
        post(apis[2]!, 'credentials/authorize', { credentialID: s2.credentialID, numSignatures: 1, hashes: h, hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: s2.pin }, { id: 'OTP', value: otp }] }, bearer2),
      );
    });
    expect(recoveredIn).toBeLessThanOrEqual(5000);
    expect(refusedWhileDown).toEqual({ status: 503, body: { error: 'temporarily_unavailable', error_description: 'Request limits cannot be checked now; try again later' } });
    const signed = expectNoServerErrors(answers);
    expect((await auditedHashes(s.credentialID)).sort()).toEqual([...signed].sort());
  }, 120_000);

  it('PostgreSQL crashed and restarted: 503 with a CSC body meanwhile, reconnection, every signature audited, chain intact', async () => {
    const s = await signer(apis[0]!, ['--algo', 'ES256', '--multisign', '301']);
    const bearer = await login(apis[0]!, s);
    // One hash more than the load signs: the probe of the recovery, timed while the load goes on.
    const [probe, ...hashes] = digests(`pg ${randomUUID()}`, 301);
    const sad = await authorize(apis[0]!, s, bearer, [probe!, ...hashes]);
    let recoveredIn = Infinity;
    let tokenWhileDown: { status: number; body: unknown } | undefined;
    const answers = await signEach(s, bearer, sad, hashes, async () => {
      await new Promise((r) => setTimeout(r, 800));
      await pgc.kill();
      // The OAuth endpoints answer like the CSC API: the client lookup fails, and says so with a 503.
      const res = await fetch(`${apis[2]!.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('some-client:some-secret').toString('base64')}` },
        body: 'grant_type=client_credentials&scope=service',
      });
      tokenWhileDown = { status: res.status, body: await res.json() };
      await new Promise((r) => setTimeout(r, 1500));
      await pgc.start();
      recoveredIn = await recovery(Date.now(), () => post(apis[1]!, 'signatures/signHash', { credentialID: s.credentialID, SAD: sad, hashes: [probe], hashAlgorithmOID: SHA256, signAlgo: ES256 }, bearer));
    });
    expect(recoveredIn).toBeLessThanOrEqual(5000);
    expect(tokenWhileDown).toEqual({ status: 503, body: { error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable; try again shortly' } });
    const signed = expectNoServerErrors(answers);
    expect(answers.some((a) => a.answer.status === 503)).toBe(true);
    expect(signed.length).toBeGreaterThan(0);
    // Every signature that left has its row; a SAD consumed by a request that died with the database signs nothing.
    const audited = await auditedHashes(s.credentialID);
    for (const h of [probe!, ...signed]) expect(audited).toContain(h);
    // Nothing crashed: a connection lost under a transaction is a failed request, not a dead process.
    expect([sam, ...apis].map((p) => p.exitCode())).toEqual([null, null, null, null]);
    const verified = await admin(apis[0]!, 'audit:verify');
    expect(verified.code, verified.stderr + verified.stdout).toBe(0);
  }, 120_000);

  it('the SAM SIGKILLed and restarted: 503 meanwhile, never 500; consumed hashes stay consumed', async () => {
    const s = await signer(apis[0]!, ['--algo', 'ES256', '--multisign', '301']);
    const bearer = await login(apis[0]!, s);
    const [probe, ...hashes] = digests(`sam ${randomUUID()}`, 301);
    const sad = await authorize(apis[0]!, s, bearer, [probe!, ...hashes]);
    let recoveredIn = Infinity;
    const answers = await signEach(s, bearer, sad, hashes, async () => {
      await new Promise((r) => setTimeout(r, 800));
      await sam.kill();
      await new Promise((r) => setTimeout(r, 500));
      sam = await startSam(split.samEnv, { dataDir: samDataDir, keepData: true });
      recoveredIn = await recovery(Date.now(), () => post(apis[0]!, 'signatures/signHash', { credentialID: s.credentialID, SAD: sad, hashes: [probe], hashAlgorithmOID: SHA256, signAlgo: ES256 }, bearer));
    });
    expect(recoveredIn).toBeLessThanOrEqual(5000);
    const signed = expectNoServerErrors(answers);
    expect(answers.some((a) => a.answer.status === 503)).toBe(true);
    expect(signed.length).toBeGreaterThan(0);
    const again = await post(apis[2]!, 'signatures/signHash', { credentialID: s.credentialID, SAD: sad, hashes: [signed[0]], hashAlgorithmOID: SHA256, signAlgo: ES256 }, bearer);
    expect(again).toEqual({ status: 400, body: HASH_NOT_AUTHORIZED });
    const audited = await auditedHashes(s.credentialID);
    for (const h of [probe!, ...signed]) expect(audited).toContain(h);
  }, 120_000);

  it('an api instance SIGKILLed mid-signHash: the SAM finishes and audits once, the SAD cannot be used again', async () => {
    const s = await signer(apis[0]!, ['--algo', 'RS256', '--rsa-bits', '3072', '--multisign', '1000']);
    const bearer = await login(apis[0]!, s);
    const hashes = digests(`kill ${randomUUID()}`, 1000);
    const sad = await authorize(apis[0]!, s, bearer, hashes);
    const body = { credentialID: s.credentialID, SAD: sad, hashes, hashAlgorithmOID: SHA256, signAlgo: '1.2.840.113549.1.1.1' };
    const victim = apis[2]!;
    const inFlight = post(victim, 'signatures/signHash', body, bearer);
    await new Promise((r) => setTimeout(r, 300));
    await victim.kill();
    expect((await inFlight).status).toBe('no-connection');
    // The SAM got the whole call: it consumed the SAD with its audit row before signing.
    for (let i = 0; i < 100 && (await auditedHashes(s.credentialID)).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const { rows } = await sql.query(`SELECT count(*)::int AS n, sum(cardinality(hashes))::int AS hashes FROM sam.audit WHERE event = 'sign' AND result = 'ok' AND credential_id = $1`, [s.credentialID]);
    expect(rows[0]).toEqual({ n: 1, hashes: 1000 });
    expect(await post(apis[0]!, 'signatures/signHash', body, bearer)).toEqual({ status: 400, body: SAD_EXHAUSTED });
    apis[2] = await startServer(victim.env as Record<string, string>, { dataDir: victim.dataDir });
  }, 120_000);
});
