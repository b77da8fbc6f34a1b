// Split mode (issue #10 items 1-3, 5; DESIGN §4): the SAM as its own process (SERVICES=sam) and two api instances
// (SERVICES=api) on loopback, sharing PostgreSQL (each part under its own role, scripts/db-roles.sql) and Redis, the
// api reaching the SAM over mutual TLS with certificates made by `tls:dev`. Tokens and SADs issued through one api instance work on the other; the SAM refuses peers
// without a certificate of its CA; the api processes never load a PKCS#11 library.
import { createHash, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTimestampToken } from '../../core/timestamp_token.ts';
import { databaseWithRoles } from '../db_fixtures.ts';
import { cmsVerify, signatureTimestampOf, tsVerify } from './ades_verify.ts';
import { admin, csc, type Server, startServer, totp } from './harness.ts';
import { Agent, authorize as oauthAuthorize, b64url, digest, newSigner as newOAuthSigner, pkce, REDIRECT, token } from './oauth_harness.ts';
import { ES256, makeTls, SHA256, signer, splitEnv, startSam, tlsFile } from './split_harness.ts';

let tlsDir: string;
let rogueDir: string;
let sam: Server;
let api1: Server;
let api2: Server;
let samPort: number;
/** A database with one role per part (scripts/db-roles.sql): the whole flow below runs under them. */
let db: Awaited<ReturnType<typeof databaseWithRoles>>;
let apiEnv: Record<string, string>;

beforeAll(async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'rssp-split-'));
  tlsDir = await makeTls(path.join(base, 'tls'));
  rogueDir = await makeTls(path.join(base, 'rogue'));
  db = await databaseWithRoles();
  const split = await splitEnv({ samDatabaseUrl: db.samUrl, apiDatabaseUrl: db.apiUrl, redisUrl: process.env.REDIS_URL!, tlsDir });
  samPort = split.samPort;
  apiEnv = split.apiEnv;
  sam = await startSam(split.samEnv);
  // One after the other: both run the api schemas' migrations, and the first also creates the OAuth keys.
  api1 = await startServer(apiEnv);
  // The second instance is itself a node:cluster of two workers (CLUSTER_WORKERS), each a client of the one SAM.
  api2 = await startServer({ ...apiEnv, CLUSTER_WORKERS: '2', ADMIN_TOKEN: readFileSync(path.join(api1.dataDir, 'admin-token'), 'utf8').trim() });
}, 120_000);

afterAll(async () => {
  await api1?.stop();
  await api2?.stop();
  await sam?.stop();
  await db?.drop();
  rmSync(path.dirname(tlsDir), { recursive: true, force: true });
});

/** A raw call to the SAM with the given client certificate (or none). Resolves with the status, or the TLS error. */
function callSam(pathName: string, body: string, cert?: { dir: string; name: 'api' | 'sam' }): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: samPort,
        path: pathName,
        method: 'POST',
        ca: readFileSync(tlsFile(tlsDir, 'ca.pem')),
        ...(cert ? { cert: readFileSync(tlsFile(cert.dir, `${cert.name}.pem`)), key: readFileSync(tlsFile(cert.dir, `${cert.name}-key.pem`)) } : {}),
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      },
    );
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(body);
  });
}

function childrenOf(pid: number): number[] {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return kids ? kids.split(/\s+/).map(Number) : [];
}

function mapsOf(pid: number): string {
  return readFileSync(`/proc/${pid}/maps`, 'utf8');
}


describe('split mode: the SAM in its own process', () => {
  it('loads the PKCS#11 library in the SAM process only', async () => {
    // The primary forks its second worker once the first listens.
    for (let i = 0; i < 100 && childrenOf(api2.pid).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(childrenOf(api2.pid)).toHaveLength(2);
    expect(mapsOf(sam.pid)).toMatch(/libsofthsm2\.so/);
    // api2's primary and its cluster workers alike.
    for (const pid of [api1.pid, api2.pid, ...childrenOf(api2.pid)]) {
      const maps = mapsOf(pid);
      expect(maps).not.toMatch(/softhsm/);
      expect(maps).not.toMatch(/pkcs11\.node/);
    }
  });

  it('signs across api instances: login on one, authorize and sign on the other; the SAD is then spent for the first', async () => {
    const s = await signer(api1);
    const login = await csc(api2, 'auth/login', {}, { basic: [s.username, 'pw-split-1'] });
    expect(login.status).toBe(200);
    const bearer = login.body.access_token as string;
    const digest = createHash('sha256').update('split mode').digest();
    const auth = await csc(api1, 'credentials/authorize', {
      credentialID: s.credentialID, numSignatures: 1, hashes: [digest.toString('base64')], hashAlgorithmOID: SHA256,
      authData: [{ id: 'PIN', value: '246810' }, { id: 'OTP', value: await totp(s.secret) }],
    }, { bearer });
    expect(auth.status).toBe(200);
    const body = { credentialID: s.credentialID, SAD: auth.body.SAD, hashes: [digest.toString('base64')], hashAlgorithmOID: SHA256, signAlgo: ES256 };

    // The SCAL2 checks run in the SAM process and their refusals cross the wire with their codes.
    const other = createHash('sha256').update('not authorized').digest('base64');
    const refused = await csc(api1, 'signatures/signHash', { ...body, hashes: [other] }, { bearer });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_request', error_description: 'Hash is not authorized by the SAD' });

    const signed = await csc(api1, 'signatures/signHash', body, { bearer });
    expect(signed.status).toBe(200);
    const info = await csc(api1, 'credentials/info', { credentialID: s.credentialID, certificates: 'single' }, { bearer });
    const cert = new X509Certificate(Buffer.from(info.body.cert.certificates[0], 'base64'));
    expect(verify('sha256', Buffer.from('split mode'), cert.publicKey, Buffer.from(signed.body.signatures[0], 'base64'))).toBe(true);

    const again = await csc(api2, 'signatures/signHash', body, { bearer });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_request');
    expect(again.body.error_description).toBe('The SAD has been used for all the signatures it authorizes');
  }, 60_000);

  it('signs a CAdES B-T signDoc through the SAM process (CSC v2 §11.11): sign inputs and the timestamp cross the wire', async () => {
    const s = await signer(api1);
    const bearer = (await csc(api2, 'auth/login', {}, { basic: [s.username, 'pw-split-1'] })).body.access_token as string;
    const document = Buffer.from('a contract signed in split mode\n');
    const auth = await csc(api1, 'credentials/authorize', {
      credentialID: s.credentialID, numSignatures: 1, hashes: [createHash('sha256').update(document).digest('base64')], hashAlgorithmOID: SHA256,
      authData: [{ id: 'PIN', value: '246810' }, { id: 'OTP', value: await totp(s.secret) }],
    }, { bearer });
    expect(auth.status).toBe(200);
    const res = await csc(api2, 'signatures/signDoc', {
      credentialID: s.credentialID, SAD: auth.body.SAD,
      documents: [{ document: document.toString('base64'), signature_format: 'C', conformance_level: 'AdES-B-T', signed_envelope_property: 'Detached', signAlgo: ES256 }],
    }, { bearer });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const rootPem = (await admin(api1, 'ca:cert')).stdout;
    const v = await cmsVerify(Buffer.from(res.body.SignatureObject[0], 'base64'), rootPem, document);
    expect(v.ok, v.out).toBe(true);
    const stamp = signatureTimestampOf(Buffer.from(res.body.SignatureObject[0], 'base64'))!;
    expect((await tsVerify(stamp.token, stamp.signatureValue, rootPem)).ok).toBe(true);
  }, 60_000);

  it('time-stamps through the SAM process (CSC v2 §11.13): the token verifies under the CA and carries the nonce', async () => {
    const s = await signer(api1);
    const login = await csc(api2, 'auth/login', {}, { basic: [s.username, 'pw-split-1'] });
    const digest = createHash('sha256').update('split timestamp').digest();
    const res = await csc(api2, 'signatures/timestamp', { hash: digest.toString('base64'), hashAlgo: SHA256, nonce: '0badc0ffee' }, { bearer: login.body.access_token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const root = (await admin(api1, 'ca:cert')).stdout.replace(/-----[A-Z ]+-----|\s/g, '');
    const verdict = verifyTimestampToken(new Uint8Array(Buffer.from(res.body.timestamp, 'base64')), {
      digest, hashAlgorithmOID: SHA256, nonce: 0xbadc0ffeen, trusted: [new Uint8Array(Buffer.from(root, 'base64'))],
    });
    expect(verdict).toMatchObject({ ok: true });
    // A nonce that is not hex, sent to the SAM directly, is refused there too (rssp checks it first).
    const raw = await callSam('/v1/sam/timestamp', JSON.stringify({
      ctx: { requestId: 'r-ts' }, userId: 'u', clientId: 'c', hash: { $b64: digest.toString('base64') }, hashAlgorithmOID: SHA256, nonce: 'zz',
    }), { dir: tlsDir, name: 'api' });
    expect(raw.body).toContain('SAM_NONCE_INVALID');
  }, 60_000);

  it('runs the OAuth flow through the SAM process: sign-in and PIN + TOTP on the pages of one instance, signHash on the other', async () => {
    const s = await newOAuthSigner(api1);
    const c = await admin(api1, 'client:create', '--name', 'Split App', '--redirect-uri', REDIRECT);
    expect(c.code, c.stderr).toBe(0);
    const client = { id: c.json.client_id as string, secret: c.json.client_secret as string };
    const hash = digest('split oauth');
    const p = pkce();
    const params = {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256', state: 'x',
      scope: 'credential', credentialID: s.credentialID, numSignatures: '1', hashes: b64url(hash), hashAlgorithmOID: SHA256,
    };
    const out = await oauthAuthorize(new Agent(api1), s, `${api1.url}/oauth2/authorize?${new URLSearchParams(params)}`);
    expect(out.kind).toBe('callback');
    if (out.kind !== 'callback') return;
    const t = await token(api1, client, { grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    const signed = await csc(api2, 'signatures/signHash', { credentialID: s.credentialID, hashes: [hash.toString('base64')], hashAlgorithmOID: SHA256, signAlgo: ES256 }, { bearer: t.body.access_token });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    expect(signed.body.signatures).toHaveLength(1);
    // The credential token was a one-authorization token: spent for the other instance too.
    const again = await csc(api1, 'signatures/signHash', { credentialID: s.credentialID, hashes: [hash.toString('base64')], hashAlgorithmOID: SHA256, signAlgo: ES256 }, { bearer: t.body.access_token });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
  }, 60_000);

  it('keeps the OAuth server\'s keys sealed by the SAM process, and an api whose key row was changed refuses to start', async () => {
    // As the api's own role: the rows are the api's, their plaintext only ever in the memory of its processes.
    const apiDb = new pg.Client({ connectionString: db.apiUrl });
    await apiDb.connect();
    try {
      const { rows } = await apiDb.query<{ kid: string; use: string; secret: unknown; sealed: string }>(
        'SELECT kid, use, secret, sealed FROM authz.oauth_keys WHERE retired_at IS NULL ORDER BY use',
      );
      expect(rows.map((r) => [r.use, r.secret, /^v1\.[A-Za-z0-9_-]+$/.test(r.sealed)])).toEqual([['cookie', null, true], ['sig', null, true]]);
      const jwks = (await (await fetch(`${api2.url}/oauth2/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
      expect(jwks.keys.map((k) => k.kid)).toEqual([rows[1]!.kid]);
      expect(jwks.keys[0]).not.toHaveProperty('d');

      const sig = rows[1]!;
      const body = Buffer.from(sig.sealed.slice(3), 'base64url');
      body[20]! ^= 0x01;
      await apiDb.query('UPDATE authz.oauth_keys SET sealed = $2 WHERE kid = $1', [sig.kid, `v1.${body.toString('base64url')}`]);
      try {
        // The SAM's refusal crosses the wire with its code; the api does not start on a key it cannot trust.
        await expect(startServer(apiEnv)).rejects.toThrow(/failed to start: SAM_AUTHZ_SECRET_INVALID: CKR_ENCRYPTED_DATA_INVALID/);
      } finally {
        await apiDb.query('UPDATE authz.oauth_keys SET sealed = $2 WHERE kid = $1', [sig.kid, sig.sealed]);
      }
    } finally {
      await apiDb.end();
    }
  }, 90_000);

  it('sees a revocation on one instance at once on the other', async () => {
    const s = await signer(api2);
    const login = await csc(api1, 'auth/login', {}, { basic: [s.username, 'pw-split-1'] });
    const bearer = login.body.access_token as string;
    expect((await csc(api2, 'credentials/list', {}, { bearer })).status).toBe(200);
    expect((await csc(api1, 'auth/revoke', { token: bearer }, { bearer })).status).toBe(204);
    const after = await csc(api2, 'credentials/list', {}, { bearer });
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: 'expired_token', error_description: 'The access or refresh token is expired or has been revoked' });
  }, 60_000);

  it('refuses a peer without a client certificate, with one of another CA, or with a server certificate', async () => {
    const body = JSON.stringify({ credentialIDs: [] });
    const ok = await callSam('/v1/sam/state', body, { dir: tlsDir, name: 'api' });
    expect(ok).toEqual({ status: 200, body: '{"result":[]}' });

    const none = await callSam('/v1/sam/state', body);
    expect(none.status === 403 || none.error !== undefined).toBe(true);
    expect(none.status).not.toBe(200);
    const rogue = await callSam('/v1/sam/state', body, { dir: rogueDir, name: 'api' });
    expect(rogue.status).toBeUndefined();
    expect(rogue.error).toBeDefined();
    // Chains to the right CA, but is the SAM's own server certificate, not issued for client authentication.
    const serverCert = await callSam('/v1/sam/state', body, { dir: tlsDir, name: 'sam' });
    expect(serverCert.status).not.toBe(200);
  });

  it('refuses malformed calls with a reason, and stays up', async () => {
    const cert = { dir: tlsDir, name: 'api' as const };
    expect(await callSam('/v1/sam/signHash', '{"sad":', cert)).toEqual({ status: 400, body: '{"invalid":"body is not JSON"}' });
    const wrong = await callSam('/v1/sam/signHash', JSON.stringify({ sad: 'x' }), cert);
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body!).invalid).toMatch(/^ctx: /);
    expect(await callSam('/v1/sam/readPrivateValue', '{}', cert)).toEqual({ status: 404, body: '{"invalid":"no such method"}' });
    expect((await callSam('/v1/sam/state', JSON.stringify({ credentialIDs: [] }), cert)).status).toBe(200);
  });

  it('reports readiness per part and counts signatures, SAM round trips and HSM calls in Prometheus metrics', async () => {
    expect(await (await fetch(`${api1.url}/healthz`)).json()).toEqual({ status: 'alive' });
    const ready = await fetch(`${api1.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', checks: { postgres: 'ok', redis: 'ok', sam: 'ok' } }]);
    // The SAM's probes are on its plain HTTP port (PORT): parts only, nothing of its port.
    const samReady = await fetch(`${sam.url}/readyz`);
    expect([samReady.status, await samReady.json()]).toEqual([200, { status: 'ready', checks: { postgres: 'ok', hsm: 'ok' } }]);
    expect((await fetch(`${sam.url}/v1/sam/state`, { method: 'POST', body: '{}' })).status).toBe(404);

    // The signature of the cross-instance test went through api1 and the SAM.
    const apiMetrics = await (await fetch(`${api1.url}/metrics`)).text();
    expect(apiMetrics).toMatch(/^rssp_signatures_total\{algorithm="1\.2\.840\.10045\.4\.3\.2",result="ok"\} [1-9]/m);
    expect(apiMetrics).toMatch(/^rssp_signatures_total\{algorithm="1\.2\.840\.10045\.4\.3\.2",result="SAM_HASH_NOT_AUTHORIZED"\} 1$/m);
    expect(apiMetrics).toMatch(/^rssp_sam_call_seconds_count\{method="signHash",result="ok"\} [1-9]/m);
    expect(apiMetrics).toMatch(/^rssp_refusals_total\{status="400",error="invalid_request",route="\/csc\/v2\/signatures\/signHash"\} [1-9]/m);
    expect(apiMetrics).not.toMatch(/rssp_hsm_call_seconds_count/);
    const samMetrics = await (await fetch(`${sam.url}/metrics`)).text();
    expect(samMetrics).toMatch(/^rssp_hsm_call_seconds_count\{op="signDigest",result="ok"\} [1-9]/m);
    expect(samMetrics).toMatch(/^rssp_hsm_sessions\{state="in_use"\} 0$/m);
    expect(samMetrics).toMatch(/^rssp_activations_total\{algorithm="2\.16\.840\.1\.101\.3\.4\.2\.1",result="ok"\} [1-9]/m);
  });

  it('answers 503 hsmUnavailable on the api when the SAM is down, and /readyz names the SAM', async () => {
    const s = await signer(api1);
    const login = await csc(api1, 'auth/login', {}, { basic: [s.username, 'pw-split-1'] });
    await sam.stop();
    const res = await csc(api1, 'credentials/authorize', {
      credentialID: s.credentialID, numSignatures: 1, hashes: [createHash('sha256').update('down').digest('base64')], hashAlgorithmOID: SHA256,
      authData: [{ id: 'PIN', value: '246810' }, { id: 'OTP', value: await totp(s.secret) }],
    }, { bearer: login.body.access_token });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: 'The signing device is temporarily unavailable' });
    const ready = await fetch(`${api1.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([503, { status: 'unready', checks: { postgres: 'ok', redis: 'ok', sam: 'unavailable' } }]);
  }, 60_000);
});
