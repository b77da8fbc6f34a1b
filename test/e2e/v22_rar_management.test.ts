// CSC v2.2 RAR authorization of credentials/create and credentials/delete (ETSI TS 119 432 V1.3.1 §11.4/§11.5,
// authz/oauth/management_request.ts): authorization_details of type credential_creation (or its CSC v2.2 URI) lead,
// after sign-in and a confirmation page, to a token that allows exactly one credentials/create; one of type
// credential_deletion to a token that deletes the one credential it names, of its owner, once. Neither signs. The
// token endpoint wants the details as approved and echoes them; malformed or unsupported details are refused with
// invalid_authorization_details and a description that names the problem.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Hsm } from '../../sam/hsm/hsm.ts';
import { countObjects } from '../../sam/hsm/pkcs11/test_hooks.ts';
import type { Server } from './harness.ts';
import { Agent, authorize, authorizeUrl, digest, follow, newSigner, par, pkce, REDIRECT, SHA256, sql, submit, token, type Signer } from './oauth_harness.ts';
import { csc22, startWalletServer } from './v22_client.ts';

vi.setConfig({ testTimeout: 75_000 });

const CREATION_URI = 'https://cloudsignatureconsortium.org/2025/credential-creation';
const DELETION_URI = 'https://cloudsignatureconsortium.org/2025/credential-deletion';
const USED = { error: 'invalid_token', error_description: 'The access token allowed one call and has been used' };
const FORBIDDEN = { error: 'access_denied', error_description: 'The access token does not allow this method' };

let server: Server;
let hsm: Hsm;
let client: { id: string; secret: string };
let signer: Signer;

let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ server, hsm, client, signer, stop } = await startWalletServer('Wallet'));
}, 120_000);

afterAll(async () => stop?.());

/** authorize (sign-in, then the confirmation page) → token with the same details; returns the token response. */
async function rarToken(details: unknown[], as: Signer = signer): Promise<Record<string, any>> {
  const p = pkce();
  const out = await authorize(new Agent(server), as, authorizeUrl(server, {
    response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
    state: randomUUID(), authorization_details: JSON.stringify(details),
  }));
  if (out.kind !== 'callback') throw new Error(`no callback: ${out.kind === 'page' ? out.html.slice(0, 400) : ''}`);
  expect(out.params.get('error'), out.params.get('error_description') ?? '').toBeNull();
  const t = await token(server, client, {
    grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier,
    authorization_details: JSON.stringify(details),
  });
  expect(t.status, JSON.stringify(t.body)).toBe(200);
  return t.body;
}

async function serviceToken(): Promise<string> {
  const p = pkce();
  const out = await authorize(new Agent(server), signer, authorizeUrl(server, {
    response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, scope: 'service', code_challenge: p.challenge, code_challenge_method: 'S256',
  }));
  if (out.kind !== 'callback') throw new Error('no callback');
  const t = await token(server, client, { grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier });
  expect(t.status, JSON.stringify(t.body)).toBe(200);
  return t.body.access_token;
}

describe('RAR credential_creation', () => {
  it('shows what is asked, grants a token that echoes the details, creates one credential, and is refused the second time', async () => {
    const details = [{ type: CREATION_URI, credentialCreationRequest: {} }];
    // The page between sign-in and callback says what the client asks.
    const p = pkce();
    const agent = new Agent(server);
    let out = await follow(agent, authorizeUrl(server, {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
      authorization_details: JSON.stringify(details),
    }));
    out = await submit(agent, out, { username: signer.username, password: signer.password });
    expect(out.kind === 'page' && out.html).toContain('<h1>Create a signing credential</h1>');
    out = await submit(agent, out, { action: 'authorize' });
    if (out.kind !== 'callback') throw new Error('no callback');
    const code = out.params.get('code')!;
    // The token endpoint wants the details as approved (CSC v2 §8.4.4) before it redeems the code.
    const other = await token(server, client, {
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: p.verifier,
      authorization_details: JSON.stringify([{ type: DELETION_URI, credentialID: signer.credentialID }]),
    });
    expect([other.status, other.body]).toEqual([400, { error: 'invalid_authorization_details', error_description: 'authorization_details differ from those authorized' }]);
    // The short name of the type is the same type as its URI.
    const t = await token(server, client, {
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: p.verifier,
      authorization_details: JSON.stringify([{ type: 'credential_creation', credentialCreationRequest: { certificatePolicy: null } }]),
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.authorization_details).toEqual(details);
    expect(t.body.refresh_token).toBeUndefined();
    expect(t.body.credentialID).toBeUndefined();
    const once = t.body.access_token as string;

    // Not a signing token, nor a service token.
    const sign = await csc22(server, 'signatures/signHash', {
      credentialID: signer.credentialID, hashes: [digest('x').toString('base64')], hashAlgorithmOID: SHA256, signAlgo: '1.2.840.10045.4.3.2',
    }, { bearer: once });
    expect([sign.status, sign.body]).toEqual([403, FORBIDDEN]);
    expect((await csc22(server, 'credentials/list', {}, { bearer: once })).status).toBe(403);
    // A malformed request is refused before the token is spent.
    const bad = await csc22(server, 'credentials/create', { signAlgo: 'ES256', validitySeconds: 60 }, { bearer: once });
    expect([bad.status, bad.body]).toEqual([400, { error: 'invalid_request', error_description: 'validitySeconds applies to one-time credentials only' }]);

    const before = await countObjects(hsm);
    const created = await csc22(server, 'credentials/create', { signAlgo: 'ES256', PIN: '135792', authMode: 'oauth2code' }, { bearer: once });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(await countObjects(hsm)).toBe(before + 2);
    const [row] = await sql<{ owner_id: string }>('SELECT owner_id FROM rssp.credentials WHERE credential_id = $1', [created.body.credentialID]);
    expect(row?.owner_id).toBe((await sql<{ id: string }>('SELECT id FROM authz.users WHERE username = $1', [signer.username]))[0]!.id);

    const again = await csc22(server, 'credentials/create', { signAlgo: 'ES256', PIN: '135792' }, { bearer: once });
    expect([again.status, again.body]).toEqual([401, USED]);
    expect(await countObjects(hsm)).toBe(before + 2);
  });

  it('lets only one of two parallel creations through', async () => {
    const once = (await rarToken([{ type: 'credential_creation' }])).access_token as string;
    const results = await Promise.all([1, 2].map(() => csc22(server, 'credentials/create', { signAlgo: 'ES256', PIN: '135792' }, { bearer: once })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(results.find((r) => r.status === 401)!.body).toEqual(USED);
  });
});

describe('RAR credential_deletion', () => {
  it('deletes the credential it names, once; it cannot delete another of the same owner', async () => {
    const service = await serviceToken();
    const a = await csc22(server, 'credentials/create', { signAlgo: 'ES256', PIN: '135792' }, { bearer: service });
    const b = await csc22(server, 'credentials/create', { signAlgo: 'ES256', PIN: '135792' }, { bearer: service });
    expect([a.status, b.status]).toEqual([200, 200]);
    const idA = a.body.credentialID as string;
    const idB = b.body.credentialID as string;

    const details = [{ type: DELETION_URI, credentialID: idA }];
    const t = await rarToken(details);
    expect(t.authorization_details).toEqual(details);
    const once = t.access_token as string;

    const wrong = await csc22(server, 'credentials/delete', { credentialID: idB }, { bearer: once });
    expect([wrong.status, wrong.body]).toEqual([403, FORBIDDEN]);
    const before = await countObjects(hsm);
    const del = await csc22(server, 'credentials/delete', { credentialID: idA }, { bearer: once });
    expect(del.status, JSON.stringify(del.body)).toBe(204);
    expect(await countObjects(hsm)).toBe(before - 2);
    const again = await csc22(server, 'credentials/delete', { credentialID: idA }, { bearer: once });
    expect([again.status, again.body]).toEqual([401, USED]);

    // B is untouched, A is gone.
    const listed = await csc22(server, 'credentials/list', {}, { bearer: service });
    expect(listed.body.credentialIDs).toContain(idB);
    expect(listed.body.credentialIDs).not.toContain(idA);
  });

  it('is refused for a credential that is not the person\'s, at the authorization', async () => {
    const other = await newSigner(server);
    const p = pkce();
    const out = await authorize(new Agent(server), signer, authorizeUrl(server, {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
      authorization_details: JSON.stringify([{ type: 'credential_deletion', credentialID: other.credentialID }]),
    }));
    if (out.kind !== 'callback') throw new Error('no callback');
    expect([out.params.get('error'), out.params.get('error_description')]).toEqual(['invalid_request', 'Invalid parameter credentialID']);
  });
});

describe('malformed or unsupported details', () => {
  const refusal = async (details: unknown) => {
    const p = pkce();
    const r = await par(server, client, {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
      authorization_details: typeof details === 'string' ? details : JSON.stringify(details),
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_authorization_details');
    return r.body.error_description as string;
  };

  it('names the problem', async () => {
    expect(await refusal([{ type: 'credential-creation' }])).toBe(
      'unsupported authorization details type; supported: credential, https://cloudsignatureconsortium.org/2025/credential, ' +
        'credential_creation, https://cloudsignatureconsortium.org/2025/credential-creation, ' +
        'credential_deletion, https://cloudsignatureconsortium.org/2025/credential-deletion',
    );
    expect(await refusal([{ type: DELETION_URI }])).toBe('credentialID of the credential to delete is required');
    expect(await refusal([{ type: 'credential_deletion', credentialID: 42 }])).toBe('credentialID of the credential to delete is required');
    expect(await refusal([{ type: CREATION_URI, credentialID: signer.credentialID }])).toBe(
      'credentialID cannot be given for a credential creation: the service names the new credential',
    );
    expect(await refusal([{ type: CREATION_URI, credentialCreationRequest: 'yes' }])).toBe('credentialCreationRequest must be an object');
    expect(await refusal([{ type: CREATION_URI, credentialCreationRequest: { certificatePolicy: 'qcp-n' } }])).toBe(
      'credentialCreationRequest.certificatePolicy must be an OID',
    );
    expect(await refusal([{ type: CREATION_URI, credentialCreationRequest: { certificatePolicy: '0.4.0.194112.1.2' } }])).toBe(
      'certificate policy 0.4.0.194112.1.2 is not offered: the certificates of this service carry no certificate policy',
    );
    expect(await refusal([{ type: CREATION_URI, credentialCreationRequest: { subjectData: { givenName: 'Eve' } } }])).toBe(
      'credentialCreationRequest.subjectData is not supported: the certificate subject is taken from the account',
    );
    expect(await refusal([{ type: 'credential_creation' }, { type: 'credential_deletion', credentialID: signer.credentialID }])).toBe(
      'exactly one authorization detail is supported per request',
    );
    expect(await refusal(['credential_creation'])).toBe('each authorization detail must be an object');
    expect(await refusal('{"type":"credential_creation"')).toBe('authorization_details is not valid JSON');
  });
});
