// Fuzzing from the OpenAPI documents (issue #10 item 7): every CSC v2 and v1 method gets bodies that follow its schema
// (with a live credential, SAD and hashes mixed in) and mutations of them. Whatever arrives, the answer is below
// 500, is what the document declares for that method and status, and the service stays up with its audit chain
// intact. `npm test` runs FUZZ_RUNS=1000 cases with a fixed seed; `npm run fuzz` runs 10 000 (FUZZ_SEED to replay).
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSC_OPERATIONS, OPENAPI_YAML_PATH, validateResponse, type CscOperation } from '../../openapi/validate.ts';
import { CSC_V1_OPERATIONS, OPENAPI_V1_YAML_PATH, validateV1Response, type CscV1Operation } from '../../openapi/validate_v1.ts';
import { freshDatabase } from '../db_fixtures.ts';
import { documentOf, requestArbitrary, type Seeds, type Wire } from '../fuzz/openapi_arbitraries.ts';
import { admin, type Server, startServer } from './harness.ts';
import { authorize, digests, ES256, login, SHA256, signer, type Signer } from './split_harness.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);

let server: Server;
let s: Signer;
let bearer: string;
let seeds: Seeds;
let db: Awaited<ReturnType<typeof freshDatabase>>;

beforeAll(async () => {
  // A database of its own: audit:verify at the end checks checkpoints signed by this server's token only.
  db = await freshDatabase();
  server = await startServer({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL!,
    // Throttles would answer most cases with 429 and lock the credential: the fuzzer is after what lies behind them.
    LOGIN_RATE_PER_IP: '1000000', AUTHORIZE_RATE_PER_CLIENT: '1000000', AUTHORIZE_RATE_PER_IP: '1000000',
    OAUTH_RATE_PER_IP: '1000000', OAUTH_RATE_PER_CLIENT: '1000000', SIGN_RATE_PER_CLIENT: '1000000', POLL_RATE_PER_CLIENT: '1000000', LOGIN_MAX_FAILURES: '1000', MAX_FACTOR_FAILURES: '100',
  });
  s = await signer(server, ['--algo', 'ES256', '--multisign', '20']);
  bearer = await login(server, s);
  const hashes = digests(`fuzz ${randomBytes(4).toString('hex')}`, 20);
  const sad = await authorize(server, s, bearer, hashes);
  seeds = {
    credentialID: [s.credentialID, 'no-such-credential'],
    credentialIDs: [[s.credentialID]],
    userID: [s.username, null],
    SAD: [sad, 'not.a.sad'],
    hashes: [[hashes[0]], hashes.slice(1, 3), ['AAAA'], [hashes[0]!.replaceAll('+', '-')]],
    hash: [hashes[0]],
    hashAlgorithmOID: [SHA256, '1.3.14.3.2.26', '2.16.840.1.101.3.4.2.3'],
    hashAlgo: [SHA256],
    signAlgo: [ES256, '1.2.840.113549.1.1.1', '1.2.840.113549.1.1.10'],
    numSignatures: [1, 2, 21],
    authData: [[{ id: 'PIN', value: '000000' }], [{ id: 'OTP', value: '123456' }]],
    PIN: ['000000'],
    OTP: ['123456'],
    certificates: ['none', 'single', 'chain'],
    certInfo: [true],
    authInfo: [true],
  };
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

type Target = { version: 'v2'; op: CscOperation } | { version: 'v1'; op: CscV1Operation };

const targets: Target[] = [
  ...CSC_OPERATIONS.map((op) => ({ version: 'v2' as const, op })),
  ...CSC_V1_OPERATIONS.map((op) => ({ version: 'v1' as const, op })),
];

async function send(t: Target, wire: Wire, token: string) {
  const res = await fetch(`${server.url}/csc/${t.version}/${t.op}`, {
    method: 'POST',
    headers: { 'content-type': wire.contentType, authorization: `Bearer ${token}` },
    body: wire.text,
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, text, contentType: res.headers.get('content-type') ?? '' };
}

describe('OpenAPI fuzzing', () => {
  it(`answers ${RUNS} generated and mutated requests below 500, as the documents declare`, async () => {
    const v2 = documentOf(OPENAPI_YAML_PATH);
    const v1 = documentOf(OPENAPI_V1_YAML_PATH);
    const cases = fc.constantFrom(...targets).chain((t) => fc.tuple(fc.constant(t), requestArbitrary(t.version === 'v2' ? v2 : v1, t.op, seeds)));
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(cases, async ([t, wire]) => {
        const r = await send(t, wire, bearer);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        expect(r.status, `${t.version} ${t.op} ${wire.text.slice(0, 300)} -> ${r.text.slice(0, 300)}`).toBeLessThan(500);
        if (r.status !== 204) {
          expect(r.contentType).toMatch(/^application\/json/);
          const body = JSON.parse(r.text);
          const problems = t.version === 'v2' ? validateResponse(t.op, r.status, body) : validateV1Response(t.op, r.status, body);
          expect(problems, `${t.version} ${t.op} ${r.status} ${r.text.slice(0, 300)}`).toEqual([]);
        }
        // A revocation may have hit the fuzzer's own token: carry on with a fresh one.
        if (t.op === 'auth/revoke' && r.status === 204) bearer = await login(server, s);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // The cases reached past the edge: some succeeded, most were refused with a client error.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect([...statuses.keys()].every((k) => k < 500)).toBe(true);
    // Still alive, and nothing the fuzzer did broke the audit chain.
    expect((await fetch(`${server.url}/csc/v2/info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(200);
    const verified = await admin(server, 'audit:verify');
    expect(verified.code, verified.stderr).toBe(0);
  }, Math.max(120_000, RUNS * 200));
});

