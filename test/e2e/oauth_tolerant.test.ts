// Issue #12 item 3 at the authorization server: a CSC v1 client that puts standard base64 in the oauth2/authorize
// query without escaping it (its '+' arrives as a space) is read right, and the token then signs exactly those
// bytes on /csc/v1 whatever spelling signHash uses; a CSC v2.2 client's authorization_details with explicit nulls and
// hashType "DTBSR" goes through PAR, and the token endpoint echoes hashType as the client spelled it.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, csc, opensslVerify, pem, type Server, startServer } from './harness.ts';
import { Agent, authorize, follow, newSigner, nextOtp, par, pkce, REDIRECT, SHA256, type Signer, submit, token } from './oauth_harness.ts';
import { v1 } from './v1_client.ts';

const ES256 = '1.2.840.10045.4.3.2';
const RAR_V22 = 'https://cloudsignatureconsortium.org/2025/credential';

let server: Server;
let client: { id: string; secret: string };
let signer: Signer;

/** A digest whose standard base64 holds '+' (and so changes when '+' becomes a space). */
function plusDigest(): Buffer {
  for (;;) {
    const d = createHash('sha256').update(randomBytes(16)).digest();
    if (d.toString('base64').includes('+')) return d;
  }
}

async function verifies(bearer: string, hash: Buffer, signature: string) {
  const info = await csc(server, 'credentials/info', { credentialID: signer.credentialID, certificates: 'single' }, { bearer });
  return opensslVerify({ certPem: pem(info.body.cert.certificates[0]), digest: hash, signature: Buffer.from(signature, 'base64'), hash: 'sha256' });
}

beforeAll(async () => {
  server = await startServer();
  const c = await admin(server, 'client:create', '--name', 'Tolerant Signing App', '--redirect-uri', REDIRECT);
  expect(c.code, c.stderr).toBe(0);
  client = { id: c.json.client_id, secret: c.json.client_secret };
  signer = await newSigner(server);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('oauth2/authorize with a raw + in the hash parameter (CSC v1 §8.3.2)', () => {
  it('reads the space back as +, and the credential token signs those bytes, percent-encoded or base64url at signHash', async () => {
    const [d1, d2] = [plusDigest(), plusDigest()];
    const p = pkce();
    const query = new URLSearchParams({
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256', state: 's',
      scope: 'credential', credentialID: signer.credentialID, numSignatures: '2',
    });
    // Not escaped, as such clients send it: '+' means a space in a query, '/' and '=' pass as they are.
    const start = `${server.url}/oauth2/authorize?${query}&hash=${d1.toString('base64')},${d2.toString('base64')}`;
    expect(start).toMatch(/hash=[^&]*\+/);
    const out = await authorize(new Agent(server), signer, start);
    expect(out.kind, out.kind === 'page' ? out.html.slice(0, 600) : '').toBe('callback');
    if (out.kind !== 'callback') return;
    const t = await token(server, client, { grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier });
    expect(t.status, JSON.stringify(t.body)).toBe(200);

    const percent = d1.toString('base64').replace(/\+/g, '%2B').replace(/\//g, '%2F').replace(/=/g, '%3D');
    const signed = await v1(server, 'signatures/signHash', { credentialID: signer.credentialID, hash: [percent, d2.toString('base64url')], hashAlgo: SHA256, signAlgo: ES256 }, { bearer: t.body.access_token });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const svc = await csc(server, 'auth/login', {}, { basic: [signer.username, signer.password] });
    expect(await verifies(svc.body.access_token, d1, signed.body.signatures[0])).toBe(true);
    expect(await verifies(svc.body.access_token, d2, signed.body.signatures[1])).toBe(true);
  }, 60_000);
});

describe('authorization_details of a CSC v2.2 client', () => {
  it('explicit nulls are absent, hashType is echoed in the caller spelling, and the token signs', async () => {
    const d = plusDigest();
    const sent = [{
      type: RAR_V22, credentialID: signer.credentialID, signatureQualifier: null, numSignatures: 1, hashAlgorithmOID: SHA256,
      documentDigests: [{ hash: d.toString('base64'), label: 'Contract', hashType: 'DTBSR', href: null }],
    }];
    const p = pkce();
    const pushed = await par(server, client, {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
      authorization_details: JSON.stringify(sent),
    });
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(201);
    const agent = new Agent(server);
    let out = await follow(agent, `${server.url}/oauth2/authorize?${new URLSearchParams({ client_id: client.id, request_uri: pushed.body.request_uri })}`);
    out = await submit(agent, out, { username: signer.username, password: signer.password });
    out = await submit(agent, out, { action: 'authorize', pin: signer.pin, otp: await nextOtp(signer) });
    expect(out.kind).toBe('callback');
    if (out.kind !== 'callback') return;
    const t = await token(server, client, {
      grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier, authorization_details: JSON.stringify(sent),
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.authorization_details).toEqual([
      { type: RAR_V22, credentialID: signer.credentialID, numSignatures: 1, hashAlgorithmOID: SHA256, documentDigests: [{ hash: d.toString('base64'), label: 'Contract', hashType: 'DTBSR' }] },
    ]);
    const signed = await csc(server, 'signatures/signHash', { credentialID: signer.credentialID, hashes: [d.toString('base64url')], signAlgo: ES256, hashType: 'DTBSR', SAD: null }, { bearer: t.body.access_token });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const svc = await csc(server, 'auth/login', {}, { basic: [signer.username, signer.password] });
    expect(await verifies(svc.body.access_token, d, signed.body.signatures[0])).toBe(true);
  }, 60_000);
});
