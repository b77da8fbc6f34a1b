// Two refinements of FAPI 2.0 / DPoP at the authorization server:
// - FAPI 2.0 §5.4.1: a FAPI client's private_key_jwt assertion is signed with PS256, ES256 or EdDSA; RS256 is refused
//   (invalid_client) for it, and stays accepted for a client that is not a FAPI client (authz/oauth/fapi.ts);
// - RFC 9449 §8 server nonces behind OAUTH_DPOP_NONCE: with it, a DPoP token request without a nonce gets
//   use_dpop_nonce and a DPoP-Nonce header, and the retry with that nonce gets a DPoP-bound token; without it (the
//   default) the same request succeeds at once and no nonce is handed out.
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dpopKey, dpopProof } from '../dpop.ts';
import { type Server, startServer } from './harness.ts';
import { pkce, REDIRECT, registerClient } from './oauth_harness.ts';

vi.setConfig({ testTimeout: 60_000 });

type Key = { privateKey: KeyObject; kid: string };

/** A private_key_jwt assertion (RFC 7523 §2.2) signed with `alg`, aud = the issuer. */
async function assertion(clientId: string, key: Key, alg: string, issuer: string): Promise<Record<string, string>> {
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg, kid: key.kid })
    .setIssuer(clientId).setSubject(clientId).setAudience(issuer).setJti(randomUUID()).setIssuedAt().setExpirationTime('2m')
    .sign(key.privateKey);
  return { client_id: clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt };
}

/** An RSA key registered for both RS256 and PS256 (no `alg` on the JWK; a Node KeyObject, which WebCrypto's keys are
 *  not, signs with either), so that only the assertion's alg differs. */
async function rsaClient(fapi: boolean): Promise<{ id: string; key: Key }> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `rsa-${randomUUID()}`;
  const c = await registerClient({
    name: fapi ? 'FAPI RSA App' : 'RSA App', redirectUris: [REDIRECT], authMethod: 'private_key_jwt', fapi,
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, use: 'sig' }] },
  });
  return { id: c.client_id, key: { privateKey, kid } };
}

async function post(server: Server, path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, nonce: res.headers.get('dpop-nonce') };
}

/** A seal owner's client credentials request (CSC v2 §8.5.2.2): a token request with no browser step, so that the
 *  DPoP proof is the only thing that differs between two tries. */
async function sealOwner(): Promise<{ id: string; secret: string }> {
  const c = await registerClient({ name: 'Seal Org', redirectUris: [], sealOwner: true });
  return { id: c.client_id, secret: c.client_secret! };
}

const basic = (c: { id: string; secret: string }) => `Basic ${Buffer.from(`${c.id}:${c.secret}`).toString('base64')}`;

describe('default configuration', () => {
  let server: Server;
  let issuer: string;
  beforeAll(async () => {
    server = await startServer();
    issuer = `http://localhost:${new URL(server.url).port}`;
  }, 120_000);
  afterAll(() => server?.stop());

  const parFor = async (client: { id: string; key: Key }, alg: string) => {
    const p = pkce();
    return post(server, '/oauth2/pushed_authorize', {
      response_type: 'code', redirect_uri: REDIRECT, scope: 'service', code_challenge: p.challenge, code_challenge_method: 'S256',
      ...(await assertion(client.id, client.key, alg, issuer)),
    });
  };

  it('refuses an RS256 client assertion of a FAPI client with invalid_client, and takes its PS256 one', async () => {
    const fapi = await rsaClient(true);
    const rs = await parFor(fapi, 'RS256');
    expect([rs.status, rs.body]).toEqual([401, { error: 'invalid_client', error_description: 'client authentication failed' }]);
    const ps = await parFor(fapi, 'PS256');
    expect(ps.status, JSON.stringify(ps.body)).toBe(201);
    expect(ps.body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  });

  it('still takes an RS256 client assertion of a client that is not a FAPI client', async () => {
    const plain = await rsaClient(false);
    const rs = await parFor(plain, 'RS256');
    expect(rs.status, JSON.stringify(rs.body)).toBe(201);
  });

  it('hands out no DPoP nonce: a proof without one gets a DPoP-bound token at once', async () => {
    const org = await sealOwner();
    const key = await dpopKey();
    const t = await post(server, '/oauth2/token', { grant_type: 'client_credentials', scope: 'service' }, {
      authorization: basic(org), dpop: await dpopProof(key, { htm: 'POST', htu: `${issuer}/oauth2/token` }),
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.token_type).toBe('DPoP');
    expect(t.nonce).toBeNull();
  });
});

describe('OAUTH_DPOP_NONCE=true', () => {
  let server: Server;
  let issuer: string;
  beforeAll(async () => {
    server = await startServer({ OAUTH_DPOP_NONCE: 'true' });
    issuer = `http://localhost:${new URL(server.url).port}`;
  }, 120_000);
  afterAll(() => server?.stop());

  it('refuses a DPoP token request without a nonce with use_dpop_nonce, and issues the token on the retry with it', async () => {
    const org = await sealOwner();
    const key = await dpopKey();
    const htu = `${issuer}/oauth2/token`;
    const form = { grant_type: 'client_credentials', scope: 'service' };
    const first = await post(server, '/oauth2/token', form, { authorization: basic(org), dpop: await dpopProof(key, { htm: 'POST', htu }) });
    expect([first.status, first.body]).toEqual([400, { error: 'use_dpop_nonce', error_description: 'nonce is required in the DPoP proof' }]);
    expect(first.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const wrong = await post(server, '/oauth2/token', form, {
      authorization: basic(org), dpop: await dpopProof(key, { htm: 'POST', htu, claims: { nonce: 'A'.repeat(43) } }),
    });
    expect([wrong.status, wrong.body]).toEqual([400, { error: 'use_dpop_nonce', error_description: 'invalid nonce in DPoP proof' }]);

    const retry = await post(server, '/oauth2/token', form, {
      authorization: basic(org), dpop: await dpopProof(key, { htm: 'POST', htu, claims: { nonce: first.nonce } }),
    });
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.body.token_type).toBe('DPoP');
  });

  it('leaves a token request without DPoP alone: nonces are asked of DPoP proofs only', async () => {
    const org = await sealOwner();
    const t = await post(server, '/oauth2/token', { grant_type: 'client_credentials', scope: 'service' }, { authorization: basic(org) });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.token_type).toBe('Bearer');
  });
});
