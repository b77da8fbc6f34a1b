// The EUDI rQES shape of a v2.2 signing transaction over OAuth (issue #12 items 2 and 4): a service token by the
// authorization code flow (scope service), a one-time credential from credentials/create, its authorization through
// PAR with authorization_details of the v2.2 type carrying numSignatures, labelled documentDigests and
// hashAlgorithmOID, echoed exactly as approved by the token endpoint; signHash with the credential token on
// /csc/v2.2; and the one-time credential gone with its transaction.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Hsm } from '../../sam/hsm/hsm.ts';
import { countObjects } from '../../sam/hsm/pkcs11/test_hooks.ts';
import { opensslVerify, pem, type Server } from './harness.ts';
import { Agent, authorize, authorizeUrl, digest, follow, nextOtp, par, pkce, REDIRECT, SHA256, submit, token, type Signer } from './oauth_harness.ts';
import { csc22, startWalletServer } from './v22_client.ts';

vi.setConfig({ testTimeout: 75_000 });

const RAR_V22 = 'https://cloudsignatureconsortium.org/2025/credential';
let server: Server;
let hsm: Hsm;
let client: { id: string; secret: string };
let signer: Signer;

let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ server, hsm, client, signer, stop } = await startWalletServer('EUDI Wallet'));
}, 120_000);

afterAll(async () => stop?.());

async function serviceToken(): Promise<string> {
  const p = pkce();
  const out = await authorize(new Agent(server), signer, authorizeUrl(server, {
    response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, scope: 'service', code_challenge: p.challenge, code_challenge_method: 'S256', state: randomUUID(),
  }));
  expect(out.kind).toBe('callback');
  if (out.kind !== 'callback') throw new Error('no callback');
  const t = await token(server, client, { grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier });
  expect(t.status, JSON.stringify(t.body)).toBe(200);
  return t.body.access_token as string;
}

describe('v2.2 over OAuth with a one-time credential', () => {
  it('service token → credentials/create (one-time, oauth2code) → PAR with v2.2 RAR → token echoes it → signHash → gone', async () => {
    const service = await serviceToken();
    const before = await countObjects(hsm);
    const created = await csc22(server, 'credentials/create', { signAlgo: '1.2.840.10045.4.3.2', PIN: '135792', oneTime: true, multisign: 2, authMode: 'oauth2code' }, { bearer: service });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.auth.mode).toBe('oauth2code');
    const credentialID = created.body.credentialID as string;

    const hashes = [digest('eudi-contract'), digest('eudi-annex')];
    const details = [{
      type: RAR_V22,
      credentialID,
      numSignatures: 2,
      documentDigests: [
        { hash: hashes[0]!.toString('base64'), label: 'Contract.pdf' },
        { hash: hashes[1]!.toString('base64'), label: 'Annex.pdf' },
      ],
      hashAlgorithmOID: SHA256,
    }];
    const p = pkce();
    const pushed = await par(server, client, {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
      authorization_details: JSON.stringify(details),
    });
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(201);
    const agent = new Agent(server);
    let out = await follow(agent, authorizeUrl(server, { client_id: client.id, request_uri: pushed.body.request_uri }));
    out = await submit(agent, out, { username: signer.username, password: signer.password });
    expect(out.kind === 'page' && out.html.includes('Annex.pdf')).toBe(true);
    out = await submit(agent, out, { action: 'authorize', pin: '135792', otp: await nextOtp(signer) });
    expect(out.kind).toBe('callback');
    if (out.kind !== 'callback') return;
    const t = await token(server, client, {
      grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier, authorization_details: JSON.stringify(details),
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.credentialID).toBe(credentialID);
    expect(t.body.authorization_details).toEqual(details);

    const signed = await csc22(server, 'signatures/signHash', {
      credentialID, hashes: hashes.map((h) => h.toString('base64')), hashAlgorithmOID: SHA256, signAlgo: '1.2.840.10045.4.3.2',
    }, { bearer: t.body.access_token });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const certPem = pem(created.body.cert.certificates[0]);
    for (const [i, sig] of (signed.body.signatures as string[]).entries()) {
      expect(await opensslVerify({ certPem, digest: hashes[i]!, signature: Buffer.from(sig, 'base64'), hash: 'sha256' })).toBe(true);
    }
    expect(await countObjects(hsm)).toBe(before);
    const info = await csc22(server, 'credentials/info', { credentialID }, { bearer: service });
    expect([info.status, info.body]).toEqual([400, { error: 'invalid_request', error_description: 'Invalid parameter credentialID' }]);
  });

  it('a credential token cannot create or delete credentials', async () => {
    const service = await serviceToken();
    const created = await csc22(server, 'credentials/create', { signAlgo: 'ES256', PIN: '135792', authMode: 'oauth2code' }, { bearer: service });
    const credentialID = created.body.credentialID as string;
    const hash = digest('scope-check');
    const p = pkce();
    const o = await authorize(new Agent(server), { ...signer, credentialID, pin: '135792' }, authorizeUrl(server, {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
      scope: 'credential', credentialID, numSignatures: '1', hashes: hash.toString('base64url'), hashAlgorithmOID: SHA256,
    }));
    if (o.kind !== 'callback') throw new Error('no callback');
    const t = await token(server, client, { grant_type: 'authorization_code', code: o.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    const forbidden = { error: 'access_denied', error_description: 'The access token does not allow this method' };
    const del = await csc22(server, 'credentials/delete', { credentialID }, { bearer: t.body.access_token });
    expect([del.status, del.body]).toEqual([403, forbidden]);
    const make = await csc22(server, 'credentials/create', { signAlgo: 'ES256' }, { bearer: t.body.access_token });
    expect([make.status, make.body]).toEqual([403, forbidden]);
  });
});
