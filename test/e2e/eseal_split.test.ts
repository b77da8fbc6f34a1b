// E-seals in split mode (DESIGN §4): the SAM as its own process behind mutual TLS, the api reaching it through the
// remote port. The seal's organisation subject and the batch rule cross the wire: a SCAL 1 batch of two is spent
// over two signHash calls and the third is refused, with the SAM's own SEAL_BATCH_* configuration.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { admin, csc, opensslVerify, pem, type Server } from './harness.ts';
import { ES256, SHA256, startSplitPair } from './split_harness.ts';

let api: Server;
let pair: Awaited<ReturnType<typeof startSplitPair>>;

beforeAll(async () => {
  pair = await startSplitPair('seal-split', { samEnv: { SEAL_BATCH_MAX_SIGNATURES: '2' } });
  ({ api } = pair);
}, 120_000);

afterAll(async () => {
  await pair?.stop();
});

it('a SCAL 1 seal is created, activated for a batch and spent over the remote SAM port', async () => {
  const client = await admin(api, 'client:create', '--name', 'Split sealing', '--seal-owner', 'true');
  expect(client.code, client.stderr).toBe(0);
  const { client_id: clientId, client_secret: secret } = client.json;
  const seal = await admin(api, 'seal:create', '--client', clientId, '--organization', 'Split Org BV', '--algo', 'ES256', '--scal', '1', '--multisign', '5', '--pin', '13579');
  expect(seal.code, seal.stderr).toBe(0);
  const credentialID = seal.json.credentialID;

  const tokenRes = await fetch(`${api.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: 'grant_type=client_credentials&scope=service',
  });
  expect(tokenRes.status).toBe(200);
  const bearer = ((await tokenRes.json()) as { access_token: string }).access_token;

  const info = await csc(api, 'credentials/info', { credentialID, certInfo: true }, { bearer });
  // RFC 4514 order (last RDN first): the DER has O, then CN.
  expect(info.body.cert.subjectDN).toBe('CN=Split Org BV,O=Split Org BV');
  expect(info.body.signatureQualifier).toBe('eu_eidas_aeseal');

  const pinOnly = [{ id: 'PIN', value: '13579' }];
  // multisign allows 5, the SAM's SEAL_BATCH_MAX_SIGNATURES only 2.
  const tooMany = await csc(api, 'credentials/authorize', { credentialID, numSignatures: 3, authData: pinOnly }, { bearer });
  expect(tooMany).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Numbers of signatures is too high' } });
  const auth = await csc(api, 'credentials/authorize', { credentialID, numSignatures: 2, authData: pinOnly }, { bearer });
  expect(auth.status).toBe(200);
  const certPem = pem(info.body.cert.certificates[0]);
  for (const doc of ['one', 'two']) {
    const hash = createHash('sha256').update(doc).digest();
    const res = await csc(api, 'signatures/signHash', { credentialID, SAD: auth.body.SAD, hashes: [hash.toString('base64')], hashAlgorithmOID: SHA256, signAlgo: ES256 }, { bearer });
    expect(res.status).toBe(200);
    expect(await opensslVerify({ certPem, digest: hash, signature: Buffer.from(res.body.signatures[0], 'base64'), hash: 'sha256' })).toBe(true);
  }
  const third = await csc(api, 'signatures/signHash', { credentialID, SAD: auth.body.SAD, hashes: [createHash('sha256').update('three').digest('base64')], hashAlgorithmOID: SHA256, signAlgo: ES256 }, { bearer });
  expect(third).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'The SAD has been used for all the signatures it authorizes' } });
}, 120_000);
