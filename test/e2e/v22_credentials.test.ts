// CSC v2.2 credentials/create and credentials/delete black-box over HTTP (issue #12 item 2, "Figures and checks"):
// create → credentials/authorize → signatures/signHash → delete for ES256, RS256 and PS256 against the service as its
// own process, each signature verified by openssl under the created certificate's key, the deleted credential
// refused with the spec's error, and the number of objects in the service's token (counted through PKCS#11) back
// where it was. Then one-time credentials: gone after the signature that spends their authorization.
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { id_mgf1, RsaSaPssParams, sha256 } from '@peculiar/asn1-rsa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hsm } from '../../sam/hsm/hsm.ts';
import { countObjects } from '../../sam/hsm/pkcs11/test_hooks.ts';
import { newUser, opensslVerify, pem, sealAuditRows, type Server, startServer, totp } from './harness.ts';
import { sql } from './oauth_harness.ts';
import { csc22, openServiceToken } from './v22_client.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const INVALID_ID = { error: 'invalid_request', error_description: 'Invalid parameter credentialID' };

let server: Server;
let token: Hsm;

beforeAll(async () => {
  server = await startServer();
  token = await openServiceToken(server);
}, 120_000);

afterAll(async () => {
  await token?.close();
  await server?.stop();
});

type Signer = { userId: string; otpSecret: string; token: string };

/** A user with a TOTP enrolment and a service token from auth/login on /csc/v2.2, and no credential yet. */
async function newSigner(): Promise<Signer> {
  const { username, password, otpSecret, userId } = await newUser(server, 'v22', { name: 'Vera Twotwo' });
  const login = await csc22(server, 'auth/login', {}, { basic: [username, password] });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  return { userId, otpSecret, token: login.body.access_token };
}

const digest = (s: string) => createHash('sha256').update(s).digest();
const b64 = (b: Buffer) => b.toString('base64');
const pssParams = Buffer.from(
  AsnConvert.serialize(
    new RsaSaPssParams({
      hashAlgorithm: sha256,
      maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: id_mgf1, parameters: AsnConvert.serialize(sha256) }),
      saltLength: 32,
    }),
  ),
).toString('base64');

async function authorize(s: Signer, credentialID: string, hashes: Buffer[]) {
  const res = await csc22(
    server,
    'credentials/authorize',
    {
      credentialID, numSignatures: hashes.length, hashes: hashes.map(b64), hashAlgorithmOID: SHA256,
      authData: [{ id: 'PIN', value: '246810' }, { id: 'OTP', value: await totp(s.otpSecret) }],
    },
    { bearer: s.token },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.SAD as string;
}

/** The credential's audit rows in chain order: sealed first (an unsealed row has no seq to order by yet). */
async function auditEvents(credentialID: string) {
  await sealAuditRows((text) => sql<{ n: number }>(text));
  const rows = await sql<{ event: string; result: string; reason: string | null }>(
    `SELECT event, result, detail::jsonb->>'reason' AS reason FROM sam.audit_chained WHERE credential_id = $1 AND event LIKE 'credential.%' ORDER BY seq`,
    [credentialID],
  );
  return rows;
}

const CASES = [
  { name: 'ES256', signAlgo: '1.2.840.10045.4.3.2', extra: {}, pss: false, len: 256 },
  { name: 'RS256', signAlgo: '1.2.840.113549.1.1.11', extra: {}, pss: false, len: 2048 },
  { name: 'PS256', signAlgo: '1.2.840.113549.1.1.10', extra: { signAlgoParams: pssParams, hashAlgorithmOID: SHA256 }, pss: true, len: 2048 },
] as const;

describe('credentials/create → authorize → signHash → credentials/delete', () => {
  for (const c of CASES) {
    it(`${c.name}: the signature verifies under the new certificate; after delete the id is refused and the token is as before`, async () => {
      const s = await newSigner();
      const before = await countObjects(token);
      const created = await csc22(server, 'credentials/create', { signAlgo: c.name, PIN: '246810', multisign: 2, description: `${c.name} key` }, { bearer: s.token });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const id = created.body.credentialID as string;
      expect(created.body).toMatchObject({ description: `${c.name} key`, multisign: 2, SCAL: '2', key: { status: 'enabled', len: c.len }, cert: { status: 'valid' }, auth: { mode: 'explicit' } });
      expect(created.body.key.algo).toContain(c.signAlgo);
      expect(created.body.cert.certificates).toHaveLength(2); // end entity, then the development CA
      expect(created.body.oneTime).toBeUndefined();
      expect(await countObjects(token)).toBe(before + 2);

      const hashes = [digest(`${c.name}-a`), digest(`${c.name}-b`)];
      const sad = await authorize(s, id, hashes);
      const signed = await csc22(server, 'signatures/signHash', { credentialID: id, SAD: sad, hashes: [b64(hashes[0]!)], signAlgo: c.signAlgo, ...c.extra }, { bearer: s.token });
      expect(signed.status, JSON.stringify(signed.body)).toBe(200);
      const certPem = pem(created.body.cert.certificates[0]);
      expect(await opensslVerify({ certPem, digest: hashes[0]!, signature: Buffer.from(signed.body.signatures[0], 'base64'), hash: 'sha256', pss: c.pss ? { saltLength: 32 } : undefined })).toBe(true);

      const listed = await csc22(server, 'credentials/list', {}, { bearer: s.token });
      expect(listed.body.credentialIDs).toEqual([id]);

      const deleted = await csc22(server, 'credentials/delete', { credentialID: id }, { bearer: s.token });
      expect(deleted.status).toBe(204);
      expect(await countObjects(token)).toBe(before);

      // The SAD still covers hashes[1], but its credential is gone: refused with the spec's error, on both bases.
      const again = await csc22(server, 'signatures/signHash', { credentialID: id, SAD: sad, hashes: [b64(hashes[1]!)], signAlgo: c.signAlgo, ...c.extra }, { bearer: s.token });
      expect([again.status, again.body]).toEqual([400, INVALID_ID]);
      const info = await csc22(server, 'credentials/info', { credentialID: id }, { bearer: s.token });
      expect([info.status, info.body]).toEqual([400, INVALID_ID]);
      const twice = await csc22(server, 'credentials/delete', { credentialID: id }, { bearer: s.token });
      expect([twice.status, twice.body]).toEqual([400, INVALID_ID]);
      expect((await csc22(server, 'credentials/list', {}, { bearer: s.token })).body.credentialIDs).toEqual([]);
      expect(await auditEvents(id)).toEqual([
        { event: 'credential.create', result: 'ok', reason: null },
        { event: 'credential.delete', result: 'ok', reason: 'request' },
      ]);
    });
  }

  it("another user's credential cannot be deleted, and a bad request names its field", async () => {
    const [alice, mallory] = [await newSigner(), await newSigner()];
    const created = await csc22(server, 'credentials/create', { signAlgo: 'ES256', PIN: '246810' }, { bearer: alice.token });
    expect(created.status).toBe(200);
    const theft = await csc22(server, 'credentials/delete', { credentialID: created.body.credentialID }, { bearer: mallory.token });
    expect([theft.status, theft.body]).toEqual([400, INVALID_ID]);
    expect((await csc22(server, 'credentials/list', {}, { bearer: alice.token })).body.credentialIDs).toEqual([created.body.credentialID]);
    const badAlgo = await csc22(server, 'credentials/create', { signAlgo: 'ES512' }, { bearer: alice.token });
    expect([badAlgo.status, badAlgo.body.error]).toEqual([400, 'invalid_request']);
    expect(badAlgo.body.error_description).toMatch(/signAlgo/);
    const noToken = await csc22(server, 'credentials/create', { signAlgo: 'ES256' });
    expect(noToken.status).toBe(401);
    const validity = await csc22(server, 'credentials/create', { signAlgo: 'ES256', validitySeconds: 120 }, { bearer: alice.token });
    expect([validity.status, validity.body]).toEqual([400, { error: 'invalid_request', error_description: 'validitySeconds applies to one-time credentials only' }]);
  });
});

describe('one-time credentials', () => {
  it('a short-lived certificate; deleted by the signHash that spends its authorization', async () => {
    const s = await newSigner();
    const before = await countObjects(token);
    const created = await csc22(server, 'credentials/create', { signAlgo: 'ES256', PIN: '246810', oneTime: true, validitySeconds: 300, multisign: 2 }, { bearer: s.token });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.oneTime).toBe(true);
    const id = created.body.credentialID as string;
    const validTo = created.body.cert.validTo as string; // YYYYMMDDHHMMSSZ
    const validToMs = Date.UTC(+validTo.slice(0, 4), +validTo.slice(4, 6) - 1, +validTo.slice(6, 8), +validTo.slice(8, 10), +validTo.slice(10, 12), +validTo.slice(12, 14));
    expect(Math.abs(validToMs - (Date.now() + 300_000))).toBeLessThan(15_000);
    expect(await countObjects(token)).toBe(before + 2);

    const hashes = [digest('ot-1'), digest('ot-2')];
    const sad = await authorize(s, id, hashes);
    const signed = await csc22(server, 'signatures/signHash', { credentialID: id, SAD: sad, hashes: hashes.map(b64), signAlgo: '1.2.840.10045.4.3.2' }, { bearer: s.token });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const certPem = pem(created.body.cert.certificates[0]);
    for (const [i, sig] of (signed.body.signatures as string[]).entries()) {
      expect(await opensslVerify({ certPem, digest: hashes[i]!, signature: Buffer.from(sig, 'base64'), hash: 'sha256' })).toBe(true);
    }
    // Its transaction is over: the key is gone without a delete call, and the id is unknown everywhere.
    expect(await countObjects(token)).toBe(before);
    const info = await csc22(server, 'credentials/info', { credentialID: id }, { bearer: s.token });
    expect([info.status, info.body]).toEqual([400, INVALID_ID]);
    expect((await csc22(server, 'credentials/list', {}, { bearer: s.token })).body.credentialIDs).toEqual([]);
    expect(await auditEvents(id)).toEqual([
      { event: 'credential.create', result: 'ok', reason: null },
      { event: 'credential.delete', result: 'ok', reason: 'one-time-used' },
    ]);
  });
});
