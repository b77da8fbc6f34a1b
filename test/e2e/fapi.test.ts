// FAPI 2.0 end to end (issue #12 item 4): a client registered with private_key_jwt and as FAPI client gets
// DPoP-bound tokens through PAR + authorize + token, and uses them on /csc/v2.2 with a DPoP proof on every call
// (credentials/list, credentials/info, signHash; the signature verifies). The server holds every client to FAPI 2.0
// (OAUTH_REQUIRE_FAPI2), so a client_secret_basic client is refused. The proof checks one by one are in
// test/integration/rssp/dpop.test.ts; here they are run against the real token once each.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dpopKey, dpopProof, type DpopKey } from '../dpop.ts';
import { admin, opensslVerify, pem, type Server, startServer } from './harness.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Agent, authorize, authorizeUrl, clientAssertion, digest, follow, newSigner, par, pkce, REDIRECT, registerClient, SHA256, token, type Signer,
} from './oauth_harness.ts';
import { csc22 } from './v22_client.ts';

vi.setConfig({ testTimeout: 75_000 });

const RAR_V22 = 'https://cloudsignatureconsortium.org/2025/credential';
let server: Server;
let issuer: string;
let signer: Signer;
let clientId: string;
let authKey: { privateKey: CryptoKey; kid: string };
let dpop: DpopKey;

beforeAll(async () => {
  server = await startServer({ OAUTH_REQUIRE_FAPI2: 'true' });
  issuer = `http://localhost:${new URL(server.url).port}`;
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  authKey = { privateKey, kid: 'fapi-1' };
  const c = await registerClient({
    name: 'FAPI App', redirectUris: [REDIRECT], authMethod: 'private_key_jwt', fapi: true,
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'fapi-1', alg: 'ES256', use: 'sig' }] },
  });
  clientId = c.client_id;
  signer = await newSigner(server);
  dpop = await dpopKey();
}, 120_000);
afterAll(() => server?.stop());

const proofFor = (htu: string, accessToken?: string, key = dpop) => dpopProof(key, { htm: 'POST', htu, token: accessToken });

/** PAR (with a DPoP proof, which binds the code to the key) → sign-in (and PIN + OTP for a credential) → token
 *  with a DPoP proof; returns the token response. */
async function fapiToken(params: Record<string, string>, opts: { pin?: string } = {}) {
  const p = pkce();
  const pushed = await par(server, { id: clientId }, {
    response_type: 'code', redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256', state: randomUUID(), ...params,
    ...(await clientAssertion(clientId, authKey, issuer)),
  }, { dpop: await proofFor(`${issuer}/oauth2/pushed_authorize`) });
  expect(pushed.status, JSON.stringify(pushed.body)).toBe(201);
  const out = await authorize(new Agent(server), signer, authorizeUrl(server, { client_id: clientId, request_uri: pushed.body.request_uri }), opts);
  if (out.kind !== 'callback') throw new Error(`no callback: ${out.kind === 'page' ? out.html.slice(0, 300) : ''}`);
  const form = { grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier };
  return { form, p, exchange: async (extra: Record<string, string> = {}, headers?: Record<string, string>) =>
    token(server, { id: clientId }, { ...form, ...extra, ...(await clientAssertion(clientId, authKey, issuer)) }, 'basic',
      headers ?? { dpop: await proofFor(`${issuer}/oauth2/token`) }) };
}

describe('FAPI 2.0: private_key_jwt + PAR + DPoP', () => {
  let service: string;

  it('a service token, DPoP-bound, opens credentials/list on /csc/v2.2 with a proof', async () => {
    const t = await (await fapiToken({ scope: 'service' })).exchange();
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.token_type).toBe('DPoP');
    service = t.body.access_token;
    const url = `${issuer}/csc/v2.2/credentials/list`;
    const listed = await csc22(server, 'credentials/list', {}, { bearer: service, dpop: await proofFor(url, service) });
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.credentialIDs).toContain(signer.credentialID);
  });

  it('refuses, each with its RFC 9449 §7.1 error: no proof, wrong htm, wrong htu, replayed jti, wrong ath, another key, Bearer', async () => {
    const url = `${issuer}/csc/v2.2/credentials/list`;
    const refused = async (auth: { bearer: string; dpop?: string }, error: string, description: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `${auth.dpop === undefined ? 'Bearer' : 'DPoP'} ${auth.bearer}` };
      if (auth.dpop) headers.dpop = auth.dpop;
      const res = await fetch(`${server.url}/csc/v2.2/credentials/list`, { method: 'POST', headers, body: '{}' });
      expect([res.status, await res.json()]).toEqual([401, { error, error_description: description }]);
      expect(res.headers.get('www-authenticate')).toMatch(new RegExp(`^DPoP error="${error}"`));
    };
    await refused({ bearer: service, dpop: '' }, 'invalid_dpop_proof', 'DPoP proof missing');
    await refused({ bearer: service, dpop: await dpopProof(dpop, { htm: 'GET', htu: url, token: service }) }, 'invalid_dpop_proof', 'DPoP proof htm mismatch');
    await refused({ bearer: service, dpop: await proofFor(`${server.url}/csc/v2.2/credentials/list`, service) }, 'invalid_dpop_proof', 'DPoP proof htu mismatch');
    const once = await proofFor(url, service);
    expect((await csc22(server, 'credentials/list', {}, { bearer: service, dpop: once })).status).toBe(200);
    await refused({ bearer: service, dpop: once }, 'invalid_dpop_proof', 'DPoP proof replayed');
    await refused({ bearer: service, dpop: await proofFor(url, `${service}x`) }, 'invalid_dpop_proof', 'DPoP proof ath mismatch');
    await refused({ bearer: service, dpop: await proofFor(url, service, await dpopKey()) }, 'invalid_token', 'the DPoP proof key is not the key the access token is bound to');
    await refused({ bearer: service }, 'invalid_token', 'The access token is bound to a DPoP key: present it with the DPoP scheme and a DPoP proof');
  });

  it('a credential token through PAR with v2.2 authorization_details signs on /csc/v2.2 with a proof; the signature verifies', async () => {
    const hashes = [digest('fapi-contract')];
    const details = [{ type: RAR_V22, credentialID: signer.credentialID, numSignatures: 1, hashAlgorithmOID: SHA256,
      documentDigests: [{ hash: hashes[0]!.toString('base64'), label: 'Contract.pdf' }] }];
    const flow = await fapiToken({ authorization_details: JSON.stringify(details) });
    const t = await flow.exchange({ authorization_details: JSON.stringify(details) });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect([t.body.token_type, t.body.authorization_details]).toEqual(['DPoP', details]);
    const info = await csc22(server, 'credentials/info', { credentialID: signer.credentialID, certificates: 'single' },
      { bearer: service, dpop: await proofFor(`${issuer}/csc/v2.2/credentials/info`, service) });
    expect(info.status, JSON.stringify(info.body)).toBe(200);
    const signed = await csc22(server, 'signatures/signHash', {
      credentialID: signer.credentialID, hashes: hashes.map((h) => h.toString('base64')), hashAlgorithmOID: SHA256, signAlgo: '1.2.840.10045.4.3.2',
    }, { bearer: t.body.access_token, dpop: await proofFor(`${issuer}/csc/v2.2/signatures/signHash`, t.body.access_token) });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const ok = await opensslVerify({ certPem: pem(info.body.cert.certificates[0]), digest: hashes[0]!, signature: Buffer.from(signed.body.signatures[0], 'base64'), hash: 'sha256' });
    expect(ok).toBe(true);
  });

  it('the token endpoint wants the proof of the key the code was bound to at PAR', async () => {
    const flow = await fapiToken({ scope: 'service' });
    const none = await flow.exchange({}, {});
    expect([none.status, none.body.error]).toEqual([400, 'invalid_grant']);
    expect(none.body.error_description).toBe('grant request is invalid');
  });

  it('an authorization request that was not pushed is refused', async () => {
    const p = pkce();
    const out = await follow(new Agent(server), authorizeUrl(server, {
      response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'service', code_challenge: p.challenge, code_challenge_method: 'S256',
    }));
    expect(out.kind === 'callback' ? out.params.get('error_description') : out.html).toContain('Pushed Authorization Request must be used');
  });
});

describe('OAUTH_REQUIRE_FAPI2 and a client_secret_basic client', () => {
  it('is refused at PAR and at the token endpoint with invalid_client', async () => {
    const legacy = await registerClient({ name: 'Secret App', redirectUris: [REDIRECT] });
    const p = pkce();
    const pushed = await par(server, { id: legacy.client_id, secret: legacy.client_secret! }, {
      response_type: 'code', client_id: legacy.client_id, redirect_uri: REDIRECT, scope: 'service', code_challenge: p.challenge, code_challenge_method: 'S256',
    });
    expect([pushed.status, pushed.body]).toEqual([401, { error: 'invalid_client', error_description: 'FAPI 2.0 requires private_key_jwt client authentication' }]);
    const t = await token(server, { id: legacy.client_id, secret: legacy.client_secret! }, { grant_type: 'client_credentials', scope: 'service' });
    expect([t.status, t.body]).toEqual([401, { error: 'invalid_client', error_description: 'FAPI 2.0 requires private_key_jwt client authentication' }]);
  });
});

describe('admin: registering FAPI clients', () => {
  it('client:create --fapi true takes a JWKS (file or URI), defaults to private_key_jwt and is listed as FAPI; a secret is refused', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'fapi-')), 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [await exportJWK(publicKey)] }));
    const created = await admin(server, 'client:create', '--name', 'CLI FAPI', '--redirect-uri', REDIRECT, '--fapi', 'true', '--jwks-file', file);
    expect(created.code, created.stderr).toBe(0);
    expect(Object.keys(created.json)).toEqual(['client_id']);
    const byUri = await admin(server, 'client:create', '--name', 'CLI FAPI URI', '--redirect-uri', REDIRECT, '--fapi', 'true', '--jwks-uri', 'https://app.example.org/jwks.json');
    expect(byUri.code, byUri.stderr).toBe(0);
    const list = await admin(server, 'client:list');
    const row = list.json.find((c: { client_id: string }) => c.client_id === created.json.client_id);
    expect(row).toMatchObject({ client_name: 'CLI FAPI', token_endpoint_auth_method: 'private_key_jwt', fapi: true });
    const secret = await admin(server, 'client:create', '--name', 'CLI secret', '--redirect-uri', REDIRECT, '--auth', 'client_secret_basic');
    expect(secret.code).toBe(1);
    expect(secret.stderr).toContain('a FAPI 2.0 client must use private_key_jwt');
    const both = await admin(server, 'client:create', '--name', 'CLI both', '--redirect-uri', REDIRECT, '--jwks-file', file, '--jwks-uri', 'https://app.example.org/jwks.json');
    expect(both.stderr).toContain('give a JWKS or a JWKS URI, not both');
    const plain = await admin(server, 'client:create', '--name', 'CLI http', '--redirect-uri', REDIRECT, '--jwks-uri', 'http://app.example.org/jwks.json');
    expect(plain.stderr).toContain('A JWKS URI must use https');
  });
});
