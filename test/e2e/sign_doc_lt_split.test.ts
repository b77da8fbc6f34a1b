// signDoc AdES-B-LT in split mode (DESIGN §4): the CRL comes from the SAM process over the remote port (mutual TLS),
// signed there by the CA key in the SAM's token with the SAM's own CRL_NEXT_UPDATE_HOURS; the api embeds it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { admin, csc, pem, type Server, tmpFile, totp } from './harness.ts';
import { ES256, SHA256, signer, startSplitPair } from './split_harness.ts';

const run = promisify(execFile);
let api: Server;
let pair: Awaited<ReturnType<typeof startSplitPair>>;

beforeAll(async () => {
  pair = await startSplitPair('lt-split', { samEnv: { CRL_NEXT_UPDATE_HOURS: '24' } });
  ({ api } = pair);
}, 120_000);

afterAll(async () => {
  await pair?.stop();
});

it('a CAdES B-LT signature made through the SAM process carries its CRL, which verifies under the root and is the one validationInfo returns', async () => {
  const s = await signer(api);
  const bearer = (await csc(api, 'auth/login', {}, { basic: [s.username, s.password] })).body.access_token as string;
  const document = Buffer.from('a contract signed in split mode, validated later\n');
  const auth = await csc(api, 'credentials/authorize', {
    credentialID: s.credentialID, numSignatures: 1, hashes: [createHash('sha256').update(document).digest('base64')], hashAlgorithmOID: SHA256,
    authData: [{ id: 'PIN', value: s.pin }, { id: 'OTP', value: await totp(s.secret) }],
  }, { bearer });
  expect(auth.status).toBe(200);
  const res = await csc(api, 'signatures/signDoc', {
    credentialID: s.credentialID, SAD: auth.body.SAD, returnValidationInfo: true,
    documents: [{ document: document.toString('base64'), signature_format: 'C', conformance_level: 'AdES-B-LT', signed_envelope_property: 'Detached', signAlgo: ES256 }],
  }, { bearer });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const cms = Buffer.from(res.body.SignatureObject[0], 'base64');
  const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(cms).content });
  const crls = (sd.crls ?? []).map((c) => Buffer.from((c as pkijs.CertificateRevocationList).toSchema().toBER()).toString('base64'));
  expect(crls).toHaveLength(1);
  expect(res.body.validationInfo.crl).toEqual(crls);

  const rootPem = (await admin(api, 'ca:cert')).stdout;
  const crl = await run('openssl', ['crl', '-noout', '-text', '-verify', '-in', tmpFile('split.crl', pem(crls[0]!, 'X509 CRL')), '-CAfile', tmpFile('root.pem', rootPem)]);
  expect(crl.stderr).toContain('verify OK');
  // The SAM's CRL_NEXT_UPDATE_HOURS (24) decides nextUpdate, not the api's default of 168.
  const at = (label: string) => Date.parse(new RegExp(`${label}: (.+)`).exec(crl.stdout)![1]!);
  expect(at('Next Update') - at('Last Update')).toBe(24 * 3_600_000);
  const verified = await run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', tmpFile('split.p7s', cms), '-content', tmpFile('split.txt', document),
    '-CAfile', tmpFile('root.pem', rootPem), '-crl_check', '-out', '/dev/null'], { timeout: 10_000 });
  expect(verified.stderr).toContain('Verification successful');
}, 60_000);
