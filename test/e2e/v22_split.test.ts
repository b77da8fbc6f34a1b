// CSC v2.2 credentials/create and credentials/delete in split mode (DESIGN §4): the api instance reaches the SAM over
// mutual TLS, so createCredential (one-time) and deleteCredential cross the remote port (core/sam_wire.ts,
// rssp/adapters/sam_client.ts, sam/http). The key objects are counted in the SAM process's own token. Both processes
// read CA_CERTIFICATE_POLICIES: the api tier's authz grants the policy, the SAM's CA issues under it.
import { createHash, randomUUID } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, CertificatePolicies, id_ce_certificatePolicies } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hsm } from '../../sam/hsm/hsm.ts';
import { countObjects } from '../../sam/hsm/pkcs11/test_hooks.ts';
import { admin, opensslVerify, pem, type Server, totp } from './harness.ts';
import { ES256, SHA256, startSplitPair } from './split_harness.ts';
import { Agent, authorize, authorizeUrl, newSigner, pkce, REDIRECT, token as oauthToken } from './oauth_harness.ts';
import { csc22, openServiceToken } from './v22_client.ts';

const QCP_N_QSCD = '0.4.0.194112.1.2';

let sam: Server;
let api: Server;
let token: Hsm;

let pair: Awaited<ReturnType<typeof startSplitPair>>;

beforeAll(async () => {
  const policies = { CA_CERTIFICATE_POLICIES: QCP_N_QSCD };
  pair = await startSplitPair('v22-split', { samEnv: policies, apiEnv: policies });
  ({ sam, api } = pair);
  token = await openServiceToken(sam);
}, 120_000);

afterAll(async () => {
  await token?.close();
  await pair?.stop();
});

describe('split mode: credentials/create and credentials/delete through the remote SAM', () => {
  it('creates, signs with and deletes a credential, and a one-time credential goes after its signature', async () => {
    const username = `v22s${Date.now().toString(36)}`;
    expect((await admin(api, 'user:create', '--username', username, '--password', 'pw-split-22')).code).toBe(0);
    const { secret } = (await admin(api, 'otp:enroll', '--username', username)).json;
    const login = await csc22(api, 'auth/login', {}, { basic: [username, 'pw-split-22'] });
    const bearer = login.body.access_token as string;
    const before = await countObjects(token);

    const kept = await csc22(api, 'credentials/create', { signAlgo: 'ES256', PIN: '246810' }, { bearer });
    const once = await csc22(api, 'credentials/create', { signAlgo: 'ES256', PIN: '246810', oneTime: true }, { bearer });
    expect([kept.status, once.status]).toEqual([200, 200]);
    expect(await countObjects(token)).toBe(before + 4);

    const hash = createHash('sha256').update('split v2.2').digest();
    const auth = await csc22(api, 'credentials/authorize', {
      credentialID: once.body.credentialID, numSignatures: 1, hashes: [hash.toString('base64')], hashAlgorithmOID: SHA256,
      authData: [{ id: 'PIN', value: '246810' }, { id: 'OTP', value: await totp(secret) }],
    }, { bearer });
    expect(auth.status, JSON.stringify(auth.body)).toBe(200);
    const signed = await csc22(api, 'signatures/signHash', {
      credentialID: once.body.credentialID, SAD: auth.body.SAD, hashes: [hash.toString('base64')], signAlgo: ES256,
    }, { bearer });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const certPem = pem(once.body.cert.certificates[0]);
    expect(await opensslVerify({ certPem, digest: hash, signature: Buffer.from(signed.body.signatures[0], 'base64'), hash: 'sha256' })).toBe(true);
    expect(await countObjects(token)).toBe(before + 2);

    expect((await csc22(api, 'credentials/delete', { credentialID: kept.body.credentialID }, { bearer })).status).toBe(204);
    expect(await countObjects(token)).toBe(before);
    const gone = await csc22(api, 'credentials/info', { credentialID: kept.body.credentialID }, { bearer });
    expect([gone.status, gone.body]).toEqual([400, { error: 'invalid_request', error_description: 'Invalid parameter credentialID' }]);
  }, 60_000);

  it('carries a RAR creation\'s certificate policy to the remote SAM, whose CA issues under it', async () => {
    const c = await admin(api, 'client:create', '--name', 'Split wallet', '--redirect-uri', REDIRECT);
    expect(c.code, c.stderr).toBe(0);
    const client = { id: c.json.client_id as string, secret: c.json.client_secret as string };
    const person = await newSigner(api);
    const details = [{ type: 'credential_creation', credentialCreationRequest: { certificatePolicy: QCP_N_QSCD } }];
    const p = pkce();
    const out = await authorize(new Agent(api), person, authorizeUrl(api, {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
      state: randomUUID(), authorization_details: JSON.stringify(details),
    }));
    if (out.kind !== 'callback') throw new Error('no callback');
    const t = await oauthToken(api, client, {
      grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier,
      authorization_details: JSON.stringify(details),
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.authorization_details).toEqual(details);
    const created = await csc22(api, 'credentials/create', { signAlgo: 'ES256', PIN: '246810', oneTime: true }, { bearer: t.body.access_token });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const leaf = AsnConvert.parse(Buffer.from(created.body.cert.certificates[0], 'base64'), Certificate);
    const ext = leaf.tbsCertificate.extensions!.find((e) => e.extnID === id_ce_certificatePolicies)!;
    expect(AsnConvert.parse(ext.extnValue.buffer, CertificatePolicies).map((x) => x.policyIdentifier)).toEqual([QCP_N_QSCD]);
  }, 60_000);
});
