// Both flows of CSC v2 §8.4 over HTTP against the service started as a process (SoftHSM, PostgreSQL, Redis):
// Flow 1 (service authorization, credentials/list + info, credential authorization, signHash, oauth2/revoke) and
// Flow 2 (credential authorization directly, through PAR with RAR authorization_details), then every refusal of
// issue #3 "How it will be checked".
import { execFile } from 'node:child_process';
import path from 'node:path';
import { parseAuditLines } from '../../core/audit_chain.ts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// A signer can confirm at most three authorizations per 30 seconds: each TOTP step is accepted once per user, within
// ±1 step of now (oauth_harness.ts nextOtp waits for the clock when they are spent). Tests that reuse a signer may
// wait up to a step, so they get more than the default 30 s; the faster the service, the likelier the wait.
vi.setConfig({ testTimeout: 75_000 });
import { csc, opensslVerify, pem, sealAuditRows, type Server, startServer } from './harness.ts';
import {
  Agent,
  authorize,
  authorizeUrl,
  b64url,
  digest,
  par,
  pkce,
  REDIRECT,
  registerClient,
  SHA256,
  type Signer,
  newSigner,
  adminApi,
  nextOtp,
  sql,
  submit,
  token,
  follow,
  formAction,
  csrfOf,
} from './oauth_harness.ts';
import { admin, tmpFile } from './harness.ts';
import { v1 } from './v1_client.ts';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';

let server: Server;
let client: { id: string; secret: string };
let signer: Signer;
/** Each signer gets about three activations per 30 s (TOTP steps), so the refusals spread over a few. */
let signer2: Signer;
let signer3: Signer;

beforeAll(async () => {
  server = await startServer();
  // The operator registers the application with the admin CLI (issue #3 item 8).
  const c = await admin(server, 'client:create', '--name', 'Example Signing App', '--redirect-uri', REDIRECT, '--redirect-uri', `${REDIRECT}2`);
  expect(c.code, c.stderr).toBe(0);
  client = { id: c.json.client_id, secret: c.json.client_secret };
  [signer, signer2, signer3] = await Promise.all([newSigner(server), newSigner(server), newSigner(server)]);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

function base(extra: Record<string, string>, p = pkce()) {
  return {
    params: { response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256', state: 'st-1', ...extra },
    verifier: p.verifier,
  };
}

async function codeFor(agent: Agent, params: Record<string, string>, s = signer) {
  const out = await authorize(agent, s, authorizeUrl(server, params));
  // On a page instead of the callback, say what the page says is wrong (its role="alert" text), else its start.
  const alert = out.kind === 'page' ? /role="alert"[^>]*>([^<]*)</.exec(out.html)?.[1] : undefined;
  expect(out.kind, out.kind === 'page' ? (alert ?? out.html.slice(0, 800)) : '').toBe('callback');
  if (out.kind !== 'callback') throw new Error('no callback');
  return out.params;
}

async function verifies(credentialID: string, bearer: string, hash: Buffer, signature: string) {
  const info = await csc(server, 'credentials/info', { credentialID, certificates: 'single' }, { bearer });
  expect(info.status, JSON.stringify(info.body)).toBe(200);
  return opensslVerify({ certPem: pem(info.body.cert.certificates[0]), digest: hash, signature: Buffer.from(signature, 'base64'), hash: 'sha256' });
}

describe('Flow 1: service authorization, then credential authorization (two redirects)', () => {
  it('service token lists the credentials, credential token signs without SAD, revoke ends the service token', async () => {
    const agent = new Agent(server);
    const svc = base({ scope: 'service' });
    const cb = await codeFor(agent, svc.params);
    expect(cb.get('state')).toBe('st-1');
    // RFC 9207: the authorization response names its issuer.
    expect(cb.get('iss')).toBe(`http://localhost:${new URL(server.url).port}`);
    const t = await token(server, client, { grant_type: 'authorization_code', code: cb.get('code')!, redirect_uri: REDIRECT, code_verifier: svc.verifier });
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ token_type: 'Bearer', scope: 'service' });
    expect(typeof t.body.refresh_token).toBe('string');
    const serviceToken = t.body.access_token as string;

    const list = await csc(server, 'credentials/list', {}, { bearer: serviceToken });
    expect(list.status).toBe(200);
    expect(list.body.credentialIDs).toEqual([signer.credentialID]);

    // Second redirect: the same browser session, so only the signature page is shown (no second sign-in).
    const hashes = [digest('contract.pdf'), digest('terms.pdf')];
    const cred = base({
      scope: 'credential',
      credentialID: signer.credentialID,
      numSignatures: '2',
      hashes: hashes.map(b64url).join(','),
      hashAlgorithmOID: SHA256,
      description: 'Two documents',
    });
    const cb2 = await codeFor(agent, cred.params);
    const t2 = await token(server, client, { grant_type: 'authorization_code', code: cb2.get('code')!, redirect_uri: REDIRECT, code_verifier: cred.verifier });
    expect(t2.status).toBe(200);
    expect(t2.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, credentialID: signer.credentialID });
    expect(t2.body.refresh_token).toBeUndefined();
    const credentialToken = t2.body.access_token as string;

    // A credential token opens signHash only.
    expect((await csc(server, 'credentials/list', {}, { bearer: credentialToken })).status).toBe(403);

    const signed = await csc(
      server,
      'signatures/signHash',
      { credentialID: signer.credentialID, hashes: hashes.map((h) => h.toString('base64')), hashAlgorithmOID: SHA256, signAlgo: '1.2.840.10045.4.3.2' },
      { bearer: credentialToken },
    );
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    expect(signed.body.signatures).toHaveLength(2);
    expect(await verifies(signer.credentialID, serviceToken, hashes[0]!, signed.body.signatures[0])).toBe(true);
    expect(await verifies(signer.credentialID, serviceToken, hashes[1]!, signed.body.signatures[1])).toBe(true);

    // oauth2/revoke (RFC 7009) of the service token: the CSC API refuses it afterwards.
    const rev = await fetch(`${server.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
      body: new URLSearchParams({ token: serviceToken, token_type_hint: 'access_token' }).toString(),
    });
    expect(rev.status).toBe(200);
    const after = await csc(server, 'credentials/list', {}, { bearer: serviceToken });
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('invalid_token');
  });
});

describe('oauth2/revoke ends the SADs of the session (issue #14 finding 7)', () => {
  it('revoking the service token also ends the credential authorizations the client obtained for that user', async () => {
    const s = await newSigner(server);
    const agent = new Agent(server);
    const svc = base({ scope: 'service' });
    const cb = await codeFor(agent, svc.params, s);
    const t = await token(server, client, { grant_type: 'authorization_code', code: cb.get('code')!, redirect_uri: REDIRECT, code_verifier: svc.verifier });
    const hash = digest('revoked session');
    const cred = base({ scope: 'credential', credentialID: s.credentialID, numSignatures: '1', hashes: b64url(hash), hashAlgorithmOID: SHA256 });
    const cb2 = await codeFor(agent, cred.params, s);
    const t2 = await token(server, client, { grant_type: 'authorization_code', code: cb2.get('code')!, redirect_uri: REDIRECT, code_verifier: cred.verifier });
    expect(t2.status).toBe(200);
    const rev = await fetch(`${server.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
      body: new URLSearchParams({ token: t.body.access_token, token_type_hint: 'access_token' }).toString(),
    });
    expect(rev.status).toBe(200);
    const body = { credentialID: s.credentialID, hashes: [hash.toString('base64')], hashAlgorithmOID: SHA256, signAlgo: ES256_OID };
    // The revocation endpoint answers first and revokes the SADs right after: allow it a moment, then no signature.
    await new Promise((r) => setTimeout(r, 300));
    const sign = await csc(server, 'signatures/signHash', body, { bearer: t2.body.access_token });
    expect([sign.status, sign.body]).toEqual([400, { error: 'invalid_request', error_description: 'Invalid parameter SAD' }]);
  });
});

const ES256_OID = '1.2.840.10045.4.3.2';
const RAR_URI = 'https://cloudsignatureconsortium.org/2025/credential';
const ES256 = '1.2.840.10045.4.3.2';

async function signHash(bearer: string, credentialID: string, hashes: Buffer[], extra: Record<string, unknown> = {}) {
  return csc(server, 'signatures/signHash', { credentialID, hashes: hashes.map((h) => h.toString('base64')), hashAlgorithmOID: SHA256, signAlgo: ES256, ...extra }, { bearer });
}

/** A credential token for `hashes` through the CSC parameters. */
async function credentialToken(s: Signer, hashes: Buffer[], credentialID = s.credentialID) {
  const agent = new Agent(server);
  const req = base({ scope: 'credential', credentialID, numSignatures: String(hashes.length), hashes: hashes.map(b64url).join(','), hashAlgorithmOID: SHA256 });
  const cb = await codeFor(agent, req.params, s);
  const t = await token(server, client, { grant_type: 'authorization_code', code: cb.get('code')!, redirect_uri: REDIRECT, code_verifier: req.verifier });
  expect(t.status, JSON.stringify(t.body)).toBe(200);
  return t.body.access_token as string;
}

async function serviceToken(s: Signer) {
  const agent = new Agent(server);
  const req = base({ scope: 'service' });
  const cb = await codeFor(agent, req.params, s);
  const t = await token(server, client, { grant_type: 'authorization_code', code: cb.get('code')!, redirect_uri: REDIRECT, code_verifier: req.verifier });
  expect(t.status).toBe(200);
  return t.body as { access_token: string; refresh_token: string };
}

describe('Flow 2: credential authorization directly (one redirect)', () => {
  it('PAR with RAR authorization_details (v2.2 type): token echoes them with credentialID, signHash without SAD verifies', async () => {
    const hashes = [digest('flow2-a'), digest('flow2-b')];
    const details = [
      {
        type: RAR_URI,
        credentialID: signer.credentialID,
        documentDigests: [
          { hash: hashes[0]!.toString('base64'), label: 'Contract' },
          { hash: hashes[1]!.toString('base64'), label: 'Terms of service' },
        ],
        hashAlgorithmOID: SHA256,
      },
    ];
    const p = pkce();
    const pushed = await par(server, client, {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
      authorization_details: JSON.stringify(details),
    });
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(201);
    expect(pushed.body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    const agent = new Agent(server);
    // The signature page names the documents with the whole of each hash, in groups of four hex digits.
    let out = await follow(agent, authorizeUrl(server, { client_id: client.id, request_uri: pushed.body.request_uri }));
    out = await submit(agent, out, { username: signer.username, password: signer.password });
    expect(out.kind).toBe('page');
    if (out.kind !== 'page') return;
    expect(out.html).toContain('Example Signing App');
    expect(out.html).toContain('Contract');
    expect(out.html).toContain(hashes[0]!.toString('hex').toUpperCase().match(/.{4}/g)!.join(' '));
    expect(out.html).toMatch(/Number of signatures<\/dt><dd>2</);
    out = await submit(agent, out, { action: 'authorize', pin: signer.pin, otp: await nextOtp(signer) });
    expect(out.kind).toBe('callback');
    if (out.kind !== 'callback') return;
    const t = await token(server, client, {
      grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier, authorization_details: JSON.stringify(details),
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.credentialID).toBe(signer.credentialID);
    expect(t.body.authorization_details).toEqual(details);
    expect(t.body.refresh_token).toBeUndefined();
    const signed = await signHash(t.body.access_token, signer.credentialID, hashes);
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const svc = await serviceToken(signer);
    expect(await verifies(signer.credentialID, svc.access_token, hashes[1]!, signed.body.signatures[1])).toBe(true);
  });

  it('RAR type "credential" (v2.0) directly on oauth2/authorize, with client_secret_post at the token endpoint', async () => {
    const h = digest('flow2-direct');
    const details = [{ type: 'credential', credentialID: signer.credentialID, documentDigests: [{ hash: h.toString('base64'), label: 'Invoice' }], hashAlgorithmOID: SHA256 }];
    const req = base({ authorization_details: JSON.stringify(details) });
    const cb = await codeFor(new Agent(server), req.params);
    const t = await token(server, client, { grant_type: 'authorization_code', code: cb.get('code')!, redirect_uri: REDIRECT, code_verifier: req.verifier, authorization_details: JSON.stringify(details) }, 'post');
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.authorization_details).toEqual(details);
    expect((await signHash(t.body.access_token, signer.credentialID, [h])).status).toBe(200);
  });

  it('private_key_jwt client authentication (RFC 7523)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const c = await registerClient({ name: 'JWT App', redirectUris: [REDIRECT], authMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
    expect(c.client_secret).toBeUndefined();
    const p = pkce();
    const params = { response_type: 'code', client_id: c.client_id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256', scope: 'service' };
    const cb = await codeFor(new Agent(server), params);
    const issuer = `http://localhost:${new URL(server.url).port}`;
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(c.client_id).setSubject(c.client_id).setAudience(issuer).setJti(randomUUID()).setIssuedAt().setExpirationTime('2m')
      .sign(privateKey);
    const form = {
      grant_type: 'authorization_code', code: cb.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier, client_id: c.client_id,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
    };
    const t = await token(server, { id: c.client_id }, form);
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    // The same assertion cannot be replayed (its jti is remembered in PostgreSQL).
    const again = await token(server, { id: c.client_id }, form);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_client');
  });
});

describe('CSC v1 clients (v1.0.4.0 §8.3.2: `hash` instead of `hashes`, no hashAlgorithmOID)', () => {
  it('authorizes with `hash` and signs on /csc/v1/signatures/signHash with the credential token as SAD, and as bearer', async () => {
    const svc = await serviceToken(signer2);
    const hashes = [digest('v1-oauth-a'), digest('v1-oauth-b')];
    const agent = new Agent(server);
    const req = base({ scope: 'credential', credentialID: signer2.credentialID, numSignatures: '2', hash: hashes.map(b64url).join(',') });
    const cb = await codeFor(agent, req.params, signer2);
    const t = await token(server, client, { grant_type: 'authorization_code', code: cb.get('code')!, redirect_uri: REDIRECT, code_verifier: req.verifier });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.credentialID).toBe(signer2.credentialID);

    // v1 style: the service token as bearer, the credential token in SAD.
    const signed = await v1(
      server,
      'signatures/signHash',
      { credentialID: signer2.credentialID, SAD: t.body.access_token, hash: hashes.map((h) => h.toString('base64')), hashAlgo: SHA256, signAlgo: ES256 },
      { bearer: svc.access_token },
    );
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    expect(await verifies(signer2.credentialID, svc.access_token, hashes[0]!, signed.body.signatures[0])).toBe(true);
    expect(await verifies(signer2.credentialID, svc.access_token, hashes[1]!, signed.body.signatures[1])).toBe(true);

    // The SAD was bound to these digests: another one is refused.
    const h = digest('v1-oauth-c');
    const req2 = base({ scope: 'credential', credentialID: signer2.credentialID, numSignatures: '1', hash: b64url(h) });
    const cb2 = await codeFor(agent, req2.params, signer2);
    const t2 = await token(server, client, { grant_type: 'authorization_code', code: cb2.get('code')!, redirect_uri: REDIRECT, code_verifier: req2.verifier });
    expect(t2.status).toBe(200);
    const other = await v1(server, 'signatures/signHash', { credentialID: signer2.credentialID, hash: [digest('not-authorized').toString('base64')], hashAlgo: SHA256, signAlgo: ES256 }, { bearer: t2.body.access_token });
    expect(other.status).toBe(400);
    expect(other.body).toEqual({ error: 'invalid_request', error_description: 'Hash is not authorized by the SAD' });
    // The credential token as bearer, without SAD.
    const asBearer = await v1(server, 'signatures/signHash', { credentialID: signer2.credentialID, hash: [h.toString('base64')], hashAlgo: SHA256, signAlgo: ES256 }, { bearer: t2.body.access_token });
    expect(asBearer.status, JSON.stringify(asBearer.body)).toBe(200);
    expect(await verifies(signer2.credentialID, svc.access_token, h, asBearer.body.signatures[0])).toBe(true);
  });

  it('refuses a request carrying both `hash` and `hashes`', async () => {
    const h = b64url(digest('both'));
    const both = base({ scope: 'credential', credentialID: signer2.credentialID, numSignatures: '1', hash: h, hashes: h, hashAlgorithmOID: SHA256 });
    const out = await follow(new Agent(server), authorizeUrl(server, both.params));
    expect(out.kind === 'callback' && Object.fromEntries(out.params)).toMatchObject({
      error: 'invalid_request',
      error_description: 'hash (CSC v1) and hashes (CSC v2) cannot be combined',
      state: 'st-1',
    });
  });
});

describe('audit trail of the pages (issue #4 item 5)', () => {
  it('records a wrong password (naming the user only when the account exists) and a sign-in, with request id, IP and user agent', async () => {
    const s = await newSigner(server);
    const agent = new Agent(server);
    const page = await follow(agent, authorizeUrl(server, base({ scope: 'service' }).params));
    if (page.kind !== 'page') throw new Error('expected the sign-in page');
    const post = (requestId: string, username: string, password: string) =>
      agent.request(formAction(page.html)!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': requestId, 'user-agent': 'PagesAudit/1.0' },
        body: new URLSearchParams({ csrf: csrfOf(page.html), username, password }).toString(),
      });
    const id = randomUUID();
    expect((await post(`${id}-wrong`, s.username, 'not the password')).status).toBe(400);
    expect((await post(`${id}-nobody`, `nobody-${id}`, 'whatever')).status).toBe(400);
    expect((await post(`${id}-right`, s.username, s.password)).status).toBe(303);

    const [user] = await sql<{ id: string }>('SELECT id FROM authz.users WHERE username = $1', [s.username]);
    await sealAuditRows((text) => sql<{ n: number }>(text)); // an unsealed row has no seq to order by yet
    const rows = await sql<Record<string, string | null>>(
      `SELECT request_id, result, error_code, user_id, client_id, source_ip, user_agent, detail FROM sam.audit_chained
        WHERE event = 'signin' AND request_id LIKE $1 ORDER BY seq`,
      [`${id}-%`],
    );
    const common = { client_id: client.id, source_ip: expect.stringMatching(/127\.0\.0\.1/), user_agent: 'PagesAudit/1.0' };
    expect(rows).toEqual([
      { request_id: `${id}-wrong`, result: 'refused', error_code: 'invalidCredentials', user_id: user!.id, ...common, detail: expect.any(String) },
      { request_id: `${id}-nobody`, result: 'refused', error_code: 'invalidCredentials', user_id: null, ...common, detail: expect.any(String) },
      { request_id: `${id}-right`, result: 'ok', error_code: null, user_id: user!.id, ...common, detail: expect.any(String) },
    ]);
    // Never the typed password nor the unknown username.
    for (const r of rows) {
      expect(JSON.parse(r.detail!)).toEqual({ method: 'password', via: 'oauth' });
      expect(JSON.stringify(r)).not.toContain('not the password');
      expect(JSON.stringify(r)).not.toContain(`nobody-${id}`);
    }
  });
});

describe('admin', () => {
  it('client:create with private_key_jwt needs a JWKS file; client:list shows no secret; client:delete ends the client', async () => {
    const noJwks = await admin(server, 'client:create', '--name', 'No keys', '--redirect-uri', REDIRECT, '--auth', 'private_key_jwt');
    expect(noJwks.code).toBe(1);
    expect(noJwks.stderr).toContain('private_key_jwt needs a JWKS with at least one public key');
    const fragment = await admin(server, 'client:create', '--name', 'Fragment', '--redirect-uri', `${REDIRECT}#x`);
    expect(fragment.stderr).toContain('A redirect URI must not contain a fragment');
    const { publicKey } = await generateKeyPair('ES256');
    const file = tmpFile('jwks.json', JSON.stringify({ keys: [await exportJWK(publicKey)] }));
    const created = await admin(server, 'client:create', '--name', 'Keyed App', '--redirect-uri', REDIRECT, '--auth', 'private_key_jwt', '--jwks-file', file);
    expect(created.code, created.stderr).toBe(0);
    expect(Object.keys(created.json)).toEqual(['client_id']);
    const list = await admin(server, 'client:list');
    const row = list.json.find((c: { client_id: string }) => c.client_id === created.json.client_id);
    expect(row).toMatchObject({ client_name: 'Keyed App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'private_key_jwt' });
    expect(JSON.stringify(list.json)).not.toContain(client.secret);
    // Only a hash of the secret is stored; a wrong secret is refused.
    const stored = await sql<{ s: string }>("SELECT payload->>'client_secret' AS s FROM authz.oauth_models WHERE model = 'Client' AND id = $1", [client.id]);
    expect(stored[0]!.s).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    const wrongSecret = await token(server, { id: client.id, secret: `${client.secret}x` }, { grant_type: 'refresh_token', refresh_token: 'x' });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error).toBe('invalid_client');
    expect((await admin(server, 'client:delete', '--id', created.json.client_id)).code).toBe(0);
    // Key rotation: a new live signing key in front, the previous one kept.
    const rotated = await admin(server, 'oauth:rotate-keys');
    expect(rotated.code, rotated.stderr).toBe(0);
    // Rows of this server's token only (scope): other servers of the run share the database with keys of their own.
    const live = await sql<{ kid: string; sealed: string | null; secret: unknown }>(
      `SELECT kid, sealed, secret FROM authz.oauth_keys WHERE use = 'sig' AND retired_at IS NULL
         AND scope = (SELECT scope FROM authz.oauth_keys WHERE kid = $1) ORDER BY created_at DESC`,
      [rotated.json.kid],
    );
    expect(live.map((r) => r.kid)).toHaveLength(2);
    expect(live[0]!.kid).toBe(rotated.json.kid);
    // Sealed by the SAM like the first key (issue #14 finding 7): nothing of the key in the clear.
    expect(live.map((r) => [r.secret, r.sealed?.startsWith('v1.')])).toEqual([[null, true], [null, true]]);
    // The published JWKS is what the server loaded at its start: the previous key, public half only.
    const jwks = (await (await fetch(`${server.url}/oauth2/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.map((k) => k.kid)).toEqual([live[1]!.kid]);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const gone = await follow(new Agent(server), authorizeUrl(server, { ...base({ scope: 'service' }).params, client_id: created.json.client_id }));
    expect(gone.kind === 'page' && gone.html).toContain('invalid_client');
  });
});

describe('metadata and discovery', () => {
  it('RFC 8414 metadata with the CSC endpoints, S256 only, RFC 9207 iss, RAR types', async () => {
    const res = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    const m = (await res.json()) as Record<string, any>;
    const issuer = `http://localhost:${new URL(server.url).port}`;
    expect(m).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/oauth2/authorize`,
      token_endpoint: `${issuer}/oauth2/token`,
      revocation_endpoint: `${issuer}/oauth2/revoke`,
      pushed_authorization_request_endpoint: `${issuer}/oauth2/pushed_authorize`,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      authorization_details_types_supported: [
        'credential', RAR_URI,
        'credential_creation', 'https://cloudsignatureconsortium.org/2025/credential-creation',
        'credential_deletion', 'https://cloudsignatureconsortium.org/2025/credential-deletion',
      ],
      response_types_supported: ['code'],
    });
    expect(m.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
    const info = await csc(server, 'info', {});
    expect(info.body.authType).toEqual(['basic', 'oauth2code', 'oauth2client']);
    expect(info.body.oauth2Issuer).toBe(issuer);
    expect(info.body.oauth2).toBe(`${issuer}/`);
  });
});

describe('refusals', () => {
  it('no PKCE, and the "plain" method', async () => {
    const { params } = base({ scope: 'service' });
    const none = await follow(new Agent(server), authorizeUrl(server, { ...params, code_challenge: '', code_challenge_method: '' }));
    expect(none.kind === 'callback' && Object.fromEntries(none.params)).toMatchObject({
      error: 'invalid_request', error_description: 'Authorization Server policy requires PKCE to be used for this request',
    });
    const plain = await follow(new Agent(server), authorizeUrl(server, { ...params, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }));
    expect(plain.kind === 'callback' && Object.fromEntries(plain.params)).toMatchObject({
      error: 'invalid_request', error_description: 'not supported value of code_challenge_method',
    });
  });

  it('a redirect URI that differs by one character is not redirected to', async () => {
    const { params } = base({ scope: 'service' });
    const out = await follow(new Agent(server), authorizeUrl(server, { ...params, redirect_uri: REDIRECT.slice(0, -1) + 'K' }));
    expect(out.kind).toBe('page');
    if (out.kind === 'page') {
      expect(out.status).toBe(400);
      expect(out.html).toContain("redirect_uri did not match any of the client&#39;s registered redirect_uris");
    }
  });

  it('a replayed code is refused and revokes the token it issued', async () => {
    const h = digest('replay');
    const agent = new Agent(server);
    const req = base({ scope: 'credential', credentialID: signer2.credentialID, numSignatures: '1', hashes: b64url(h), hashAlgorithmOID: SHA256 });
    const cb = await codeFor(agent, req.params, signer2);
    const form = { grant_type: 'authorization_code', code: cb.get('code')!, redirect_uri: REDIRECT, code_verifier: req.verifier };
    const first = await token(server, client, form);
    expect(first.status).toBe(200);
    const second = await token(server, client, form);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    const res = await signHash(first.body.access_token, signer2.credentialID, [h]);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'The access token is not valid' });
  });

  it('a credential token for credential A used on credential B', async () => {
    const other = { json: await adminApi(server, 'POST', `/admin/users/${signer2.username}/credentials`, { algo: 'ES256', pin: signer2.pin, multisign: 5 }) };
    const h = digest('a-on-b');
    const tok = await credentialToken(signer2, [h]);
    const asBearer = await signHash(tok, other.json.credentialID, [h]);
    // rssp refuses a credential-scoped token on any other credential before the SAM is asked.
    expect(asBearer.status, JSON.stringify(asBearer.body)).toBe(403);
    expect(asBearer.body).toEqual({ error: 'access_denied', error_description: 'The access token does not allow this method' });
    const svc = await serviceToken(signer2);
    const asSad = await signHash(svc.access_token, other.json.credentialID, [h], { SAD: tok });
    expect(asSad.status).toBe(400);
    expect(asSad.body).toEqual({ error: 'invalid_request', error_description: 'Invalid parameter SAD' });
  });

  it('hashes the token did not authorize, and more signatures than numSignatures', async () => {
    const h = digest('authorized');
    const tok = await credentialToken(signer2, [h]);
    const wrong = await signHash(tok, signer2.credentialID, [digest('not authorized')]);
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({ error: 'invalid_request', error_description: 'Hash is not authorized by the SAD' });
    expect((await signHash(tok, signer2.credentialID, [h])).status).toBe(200);
    const twice = await signHash(tok, signer2.credentialID, [h]);
    expect(twice.status).toBe(400);
    expect(twice.body).toEqual({ error: 'invalid_request', error_description: 'The SAD has been used for all the signatures it authorizes' });
  });

  it('a service token cannot sign without a SAD; a revoked credential token cannot sign', async () => {
    const h = digest('service-sign');
    const svc = await serviceToken(signer3);
    const res = await signHash(svc.access_token, signer3.credentialID, [h]);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'Missing (or invalid type) string parameter SAD' });
    // Refresh works for scope service only.
    const refreshed = await token(server, client, { grant_type: 'refresh_token', refresh_token: svc.refresh_token });
    expect(refreshed.status).toBe(200);
    expect((await csc(server, 'credentials/list', {}, { bearer: refreshed.body.access_token })).status).toBe(200);

    const tok = await credentialToken(signer3, [h]);
    const rev = await fetch(`${server.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
      body: new URLSearchParams({ token: tok }).toString(),
    });
    expect(rev.status).toBe(200);
    const after = await signHash(tok, signer3.credentialID, [h]);
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('invalid_token');
  });

  it('CSC auth/revoke also revokes OAuth tokens of the caller: an access token, and a refresh token with its grant', async () => {
    const a = await serviceToken(signer3);
    const b = await serviceToken(signer3);
    const sadRevocations = async () => {
      // The provider's destroyed event revokes SADs after answering: give a second revocation time to land.
      await new Promise((r) => setTimeout(r, 300));
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['--import', 'tsx', 'admin/cli.ts', 'audit:export', '--username', signer3.username],
          { cwd: path.resolve(import.meta.dirname, '../..'), env: { ...server.env, ADMIN_URL: server.url }, maxBuffer: 64 << 20 },
          (err, stdout) => (err ? reject(err) : resolve(stdout))),
      );
      return parseAuditLines(out).filter((l) => l.type === 'record' && l.event === 'token.revoke' && (l.detail ?? '').includes('sadsRevoked')).length;
    };
    const before = await sadRevocations();
    const revoked = await csc(server, 'auth/revoke', { token: b.access_token }, { bearer: a.access_token });
    expect(revoked.status).toBe(204);
    // The SAM revokes the session's SADs once: for auth/revoke, not again for the provider's destroyed event.
    expect(await sadRevocations()).toBe(before + 1);
    expect((await csc(server, 'credentials/list', {}, { bearer: b.access_token })).status).toBe(401);
    const byRefresh = await csc(server, 'auth/revoke', { token: a.refresh_token, token_type_hint: 'refresh_token' }, { bearer: a.access_token });
    expect(byRefresh.status).toBe(204);
    expect((await csc(server, 'credentials/list', {}, { bearer: a.access_token })).status).toBe(401);
    expect((await token(server, client, { grant_type: 'refresh_token', refresh_token: a.refresh_token })).body.error).toBe('invalid_grant');
    // Another person's token is not the caller's to revoke.
    const other = await serviceToken(signer2);
    const mine = await serviceToken(signer3);
    const refused = await csc(server, 'auth/revoke', { token: other.access_token }, { bearer: mine.access_token });
    expect(refused.status).toBe(400);
    expect((await csc(server, 'credentials/list', {}, { bearer: other.access_token })).status).toBe(200);
  });

  it('a PAR request_uri used twice, or after its expiry', async () => {
    const h = digest('par-twice');
    const p = pkce();
    const params = {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
      scope: 'credential', credentialID: signer3.credentialID, numSignatures: '1', hashes: b64url(h), hashAlgorithmOID: SHA256,
    };
    const pushed = await par(server, client, params);
    expect(pushed.status).toBe(201);
    const url = authorizeUrl(server, { client_id: client.id, request_uri: pushed.body.request_uri });
    expect((await authorize(new Agent(server), signer3, url)).kind).toBe('callback');
    const again = await follow(new Agent(server), url);
    expect(again.kind === 'page' && again.status).toBe(400);
    expect(again.kind === 'page' && again.html).toContain('request_uri is invalid, expired, or was already used');

    const pushed2 = await par(server, client, params);
    const id = String(pushed2.body.request_uri).split(':').pop();
    await sql("UPDATE authz.oauth_models SET expires_at = now() - interval '1 second' WHERE model = 'PushedAuthorizationRequest' AND id = $1", [id]);
    const expired = await follow(new Agent(server), authorizeUrl(server, { client_id: client.id, request_uri: pushed2.body.request_uri }));
    expect(expired.kind === 'page' && expired.html).toContain('request_uri is invalid, expired, or was already used');
  });

  it('a long hash list works through PAR', async () => {
    const many = await newSigner(server, { multisign: 60 });
    const hashes = Array.from({ length: 60 }, (_, i) => digest(`doc-${i}`));
    const p = pkce();
    const pushed = await par(server, client, {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
      scope: 'credential', credentialID: many.credentialID, numSignatures: '60', hashes: hashes.map(b64url).join(','), hashAlgorithmOID: SHA256,
    });
    expect(pushed.status).toBe(201);
    const out = await authorize(new Agent(server), many, authorizeUrl(server, { client_id: client.id, request_uri: pushed.body.request_uri }));
    expect(out.kind).toBe('callback');
    if (out.kind !== 'callback') return;
    const t = await token(server, client, { grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier });
    const signed = await signHash(t.body.access_token, many.credentialID, hashes);
    expect(signed.status).toBe(200);
    expect(signed.body.signatures).toHaveLength(60);
  });

  it('tampered authorization_details at the token endpoint, and mixing both request styles', async () => {
    const h = digest('tamper');
    const details = [{ type: 'credential', credentialID: signer3.credentialID, documentDigests: [{ hash: h.toString('base64'), label: 'Loan' }], hashAlgorithmOID: SHA256 }];
    const req = base({ authorization_details: JSON.stringify(details) });
    const cb = await codeFor(new Agent(server), req.params, signer3);
    const form = { grant_type: 'authorization_code', code: cb.get('code')!, redirect_uri: REDIRECT, code_verifier: req.verifier };
    const tampered = [{ ...details[0]!, documentDigests: [{ hash: digest('other').toString('base64'), label: 'Loan' }] }];
    const bad = await token(server, client, { ...form, authorization_details: JSON.stringify(tampered) });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'invalid_authorization_details', error_description: 'authorization_details differ from those authorized' });
    const missing = await token(server, client, form);
    expect(missing.body).toEqual({ error: 'invalid_request', error_description: 'authorization_details is required: the authorization request used it' });
    expect((await token(server, client, { ...form, authorization_details: JSON.stringify(details) })).status).toBe(200);

    const mixed = base({ scope: 'credential', credentialID: signer3.credentialID, numSignatures: '1', authorization_details: JSON.stringify(details) });
    const out = await follow(new Agent(server), authorizeUrl(server, mixed.params));
    expect(out.kind === 'callback' && Object.fromEntries(out.params)).toMatchObject({
      error: 'invalid_request',
      error_description: 'authorization_details cannot be combined with scope credential or the parameters credentialID, numSignatures',
    });
  });

  it('wrong factors are shown inline and count towards the lockout; Cancel returns access_denied', async () => {
    const s = await newSigner(server);
    const agent = new Agent(server);
    const req = base({ scope: 'credential', credentialID: s.credentialID, numSignatures: '1', hashes: b64url(digest('lock')), hashAlgorithmOID: SHA256 });
    let out = await follow(agent, authorizeUrl(server, req.params));
    out = await submit(agent, out, { username: s.username, password: s.password });
    // The right PIN with a wrong code reads exactly like a wrong PIN (counted apart, as an OTP failure).
    out = await submit(agent, out, { action: 'authorize', pin: s.pin, otp: '000000' });
    expect(out.kind === 'page' && out.html).toContain('The PIN or one-time password is wrong.');
    for (let i = 0; i < 5; i++) {
      // The PIN is judged first, so the wrong attempts do not spend TOTP steps.
      out = await submit(agent, out, { action: 'authorize', pin: '000000', otp: '000000' });
      expect(out.kind === 'page' && out.status).toBe(400);
      // One message whichever factor was wrong: the page tells a guesser nothing about the PIN.
      expect(out.kind === 'page' && out.html).toContain('The PIN or one-time password is wrong.');
    }
    // Locked now: even the right factors are refused, before they are looked at.
    out = await submit(agent, out, { action: 'authorize', pin: s.pin, otp: await nextOtp(s) });
    expect(out.kind === 'page' && out.html).toContain('This credential is locked after too many wrong attempts');
    out = await submit(agent, out, { action: 'cancel' });
    expect(out.kind === 'callback' && Object.fromEntries(out.params)).toMatchObject({
      error: 'access_denied', error_description: 'The user cancelled the authorization', state: 'st-1',
    });
  });

  it("another person's credential, and more signatures than the credential's multisign, go back as invalid_request", async () => {
    const agent = new Agent(server);
    const foreign = base({ scope: 'credential', credentialID: signer3.credentialID, numSignatures: '1', hashes: b64url(digest('foreign')), hashAlgorithmOID: SHA256 });
    const out = await authorize(agent, signer2, authorizeUrl(server, foreign.params));
    expect(out.kind === 'callback' && Object.fromEntries(out.params)).toMatchObject({ error: 'invalid_request', error_description: 'Invalid parameter credentialID' });
    const hashes = Array.from({ length: 6 }, (_, i) => b64url(digest(`many-${i}`)));
    const tooMany = base({ scope: 'credential', credentialID: signer2.credentialID, numSignatures: '6', hashes: hashes.join(','), hashAlgorithmOID: SHA256 });
    const out2 = await follow(agent, authorizeUrl(server, tooMany.params));
    expect(out2.kind === 'callback' && Object.fromEntries(out2.params)).toMatchObject({
      error: 'invalid_request', error_description: 'numSignatures is higher than the multisign of the credential',
    });
  });

  it('a form without the CSRF token is refused; a wrong password is shown inline', async () => {
    const agent = new Agent(server);
    const out = await follow(agent, authorizeUrl(server, base({ scope: 'service' }).params));
    if (out.kind !== 'page') throw new Error('expected the sign-in page');
    const res = await agent.post(formAction(out.html)!, { csrf: 'forged', username: signer.username, password: signer.password });
    expect(res.status).toBe(403);
    // A wrong password is said on the page, which still names the application.
    const wrong = await submit(agent, out, { username: signer.username, password: 'not the password' });
    expect(wrong.kind === 'page' && wrong.status).toBe(400);
    expect(wrong.kind === 'page' && wrong.html).toContain('<p role="alert" id="form-error">Wrong username or password.</p>');
    expect(wrong.kind === 'page' && wrong.html).toContain('Example Signing App asks you to sign in');
  });
});
