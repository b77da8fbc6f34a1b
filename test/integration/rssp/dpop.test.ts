// DPoP-bound access tokens at the CSC API (RFC 9449 §7.1): a token whose grant carries cnf.jkt is accepted only as
// `Authorization: DPoP` with a proof by that key for this very request, once. Each refusal with its exact error and
// challenge; the jti ledger is the real PostgreSQL table.
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dpopKey, dpopProof, type DpopKey, type ProofOpts } from '../../dpop.ts';
import { addCredential, call, signer, startApp, type TestApp } from './helpers.ts';

let app: TestApp;
let key: DpopKey;
let token: string;
// startApp's PUBLIC_URL: the URL the client called, whatever host the service sees behind its proxy.
const PUBLIC = 'https://csc.example.test';
const LIST = `${PUBLIC}/csc/v2/credentials/list`;
const ALGS = 'algs="ES256 PS256 EdDSA Ed25519"';

beforeAll(async () => {
  app = await startApp();
  key = await dpopKey();
  ({ token } = signer(app, { cnf: { jkt: key.jkt } }));
});
afterAll(() => app?.close());

async function list(headers: Record<string, string>) {
  return call(app, 'credentials/list', {}, { headers });
}
async function withProof(over: Partial<ProofOpts> = {}, k: DpopKey = key) {
  return list({ authorization: `DPoP ${token}`, dpop: await dpopProof(k, { htm: 'POST', htu: LIST, token, ...over }) });
}
function refusedWith(res: Awaited<ReturnType<typeof call>>, error: string, description: string) {
  expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: { error, error_description: description } });
  expect(res.headers.get('www-authenticate')).toBe(`DPoP error="${error}", error_description="${description}", ${ALGS}`);
}

describe('a DPoP-bound token with its proof', () => {
  it('is accepted with a fresh proof by its key, and the jti is remembered in PostgreSQL until the window ends', async () => {
    const jti = randomUUID();
    const res = await withProof({ jti });
    expect(res.status, res.text).toBe(200);
    const { rows } = await app.db.query<{ s: number }>(
      'SELECT extract(epoch FROM expires_at - now())::int AS s FROM rssp.dpop_proofs WHERE jkt = $1 AND jti = $2',
      [key.jkt, jti],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.s).toBeGreaterThan(50);
    expect(rows[0]!.s).toBeLessThanOrEqual(60);
  });

  it('takes the scheme name in any case and htu in another spelling of the same URL', async () => {
    const proof = await dpopProof(key, { htm: 'POST', htu: 'HTTPS://CSC.example.test:443/csc/v2/credentials/list?x=1#f', token });
    const res = await list({ authorization: `dpop ${token}`, dpop: proof });
    expect(res.status, res.text).toBe(200);
  });
});

describe('refusals (RFC 9449 §4.3, §7.1)', () => {
  it('a missing proof', async () => {
    refusedWith(await list({ authorization: `DPoP ${token}` }), 'invalid_dpop_proof', 'DPoP proof missing');
  });

  it('two proofs', async () => {
    const a = await dpopProof(key, { htm: 'POST', htu: LIST, token });
    refusedWith(await list({ authorization: `DPoP ${token}`, dpop: `${a}, ${a}` }), 'invalid_dpop_proof', 'exactly one DPoP proof is required');
  });

  it('a replayed jti, and nothing recorded for a refused proof', async () => {
    const proof = await dpopProof(key, { htm: 'POST', htu: LIST, token });
    expect((await list({ authorization: `DPoP ${token}`, dpop: proof })).status).toBe(200);
    refusedWith(await list({ authorization: `DPoP ${token}`, dpop: proof }), 'invalid_dpop_proof', 'DPoP proof replayed');
    const jti = randomUUID();
    refusedWith(await withProof({ jti, htm: 'GET' }), 'invalid_dpop_proof', 'DPoP proof htm mismatch');
    // The same jti in a sound proof is still its first use.
    expect((await withProof({ jti })).status).toBe(200);
  });

  it('a wrong htm', async () => {
    refusedWith(await withProof({ htm: 'GET' }), 'invalid_dpop_proof', 'DPoP proof htm mismatch');
  });

  it('a wrong htu: another method, another base, the host the service sees instead of the public URL', async () => {
    refusedWith(await withProof({ htu: `${PUBLIC}/csc/v2/credentials/info` }), 'invalid_dpop_proof', 'DPoP proof htu mismatch');
    refusedWith(await withProof({ htu: `${PUBLIC}/csc/v2.2/credentials/list` }), 'invalid_dpop_proof', 'DPoP proof htu mismatch');
    refusedWith(await withProof({ htu: `${app.url}/csc/v2/credentials/list` }), 'invalid_dpop_proof', 'DPoP proof htu mismatch');
  });

  it('a wrong ath, and none', async () => {
    refusedWith(await withProof({ claims: { ath: createHash('sha256').update('another token').digest('base64url') } }), 'invalid_dpop_proof', 'DPoP proof ath mismatch');
    refusedWith(await withProof({ claims: { ath: undefined } }), 'invalid_dpop_proof', 'DPoP proof ath mismatch');
  });

  it('an iat outside the window, either side', async () => {
    const now = Math.floor(Date.now() / 1000);
    refusedWith(await withProof({ iat: now - 120 }), 'invalid_dpop_proof', 'DPoP proof iat is not recent enough');
    refusedWith(await withProof({ iat: now + 120 }), 'invalid_dpop_proof', 'DPoP proof iat is not recent enough');
  });

  it('a proof signed by another key than the token is bound to', async () => {
    refusedWith(await withProof({}, await dpopKey()), 'invalid_token', 'the DPoP proof key is not the key the access token is bound to');
  });

  it('a proof whose jwk header names another key than the one that signed it', async () => {
    const other = await dpopKey();
    refusedWith(await withProof({ header: { jwk: other.jwk } }), 'invalid_dpop_proof', 'DPoP proof signature invalid');
  });

  it('a wrong typ, a disallowed alg, a private jwk', async () => {
    refusedWith(await withProof({ header: { typ: 'JWT' } }), 'invalid_dpop_proof', 'DPoP proof typ must be dpop+jwt');
    const rs = await dpopKey('RS256');
    refusedWith(await withProof({}, rs), 'invalid_dpop_proof', 'DPoP proof alg must be one of ES256, PS256, EdDSA, Ed25519');
    const hs = await new SignJWT({ jti: randomUUID(), htm: 'POST', htu: LIST, iat: Math.floor(Date.now() / 1000) })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } as never })
      .sign(new TextEncoder().encode('secret'));
    refusedWith(await list({ authorization: `DPoP ${token}`, dpop: hs }), 'invalid_dpop_proof', 'DPoP proof alg must be one of ES256, PS256, EdDSA, Ed25519');
    const { exportJWK } = await import('jose');
    const privateJwk = await exportJWK(key.privateKey);
    refusedWith(await withProof({ header: { jwk: privateJwk } }), 'invalid_dpop_proof', 'DPoP proof jwk must be a public key');
    refusedWith(await list({ authorization: `DPoP ${token}`, dpop: 'not-a-jwt' }), 'invalid_dpop_proof', 'DPoP proof is not a JWT');
  });

  it('the bound token sent as Bearer, even with a sound proof', async () => {
    const res = await list({ authorization: `Bearer ${token}`, dpop: await dpopProof(key, { htm: 'POST', htu: LIST, token }) });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'The access token is bound to a DPoP key: present it with the DPoP scheme and a DPoP proof' },
    });
    expect(res.headers.get('www-authenticate')).toBe(`DPoP error="invalid_token", error_description="The access token is bound to a DPoP key", ${ALGS}`);
  });

  it('an unbound token sent with the DPoP scheme', async () => {
    const plain = signer(app).token;
    const res = await list({ authorization: `DPoP ${plain}`, dpop: await dpopProof(key, { htm: 'POST', htu: LIST, token: plain }) });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'The access token is not bound to a DPoP key: present it with the Bearer scheme' },
    });
  });

  it('an unknown token under the DPoP scheme gets a DPoP challenge', async () => {
    const res = await list({ authorization: 'DPoP tok-unknown', dpop: await dpopProof(key, { htm: 'POST', htu: LIST, token: 'tok-unknown' }) });
    refusedWith(res, 'invalid_token', 'The access token is not valid');
  });

  it('a bound credential token given as SAD to signHash', async () => {
    const { user, token: service } = signer(app);
    const cred = await addCredential(app, user.id);
    const credentialToken = app.tokens.issue(user.id, { scope: 'credential', credentialID: cred.credentialID, sad: 'sad-x', cnf: { jkt: key.jkt } });
    const res = await call(app, 'signatures/signHash', {
      credentialID: cred.credentialID, SAD: credentialToken, hashes: [createHash('sha256').update('x').digest('base64')],
      hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: '1.2.840.10045.4.3.2',
    }, { bearer: service });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'A DPoP-bound access token cannot be sent as SAD' },
    });
  });
});
