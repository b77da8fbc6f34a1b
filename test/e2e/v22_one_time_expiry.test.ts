// A one-time credential that is never used is deleted when its certificate expires (CSC v2.2, issue #12 item 2): by
// the purge timer of the running service (PURGE_INTERVAL_SECONDS), its key objects destroyed in the token and the id
// unknown from then on. A request may not ask for less than 60 s; the server here gives one-time certificates a
// default of a few seconds (ONE_TIME_VALIDITY_SECONDS, a test-only value that production refuses) so that the
// file waits seconds, not a minute.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hsm } from '../../sam/hsm/hsm.ts';
import { countObjects } from '../../sam/hsm/pkcs11/test_hooks.ts';
import { newUser, type Server, startServer } from './harness.ts';
import { sql } from './oauth_harness.ts';
import { csc22, openServiceToken } from './v22_client.ts';

/** The one-time certificate's lifetime: long enough for several purges to pass it by before it expires. */
const LIFETIME_SECONDS = 8;

let server: Server;
let token: Hsm;

beforeAll(async () => {
  server = await startServer({ PURGE_INTERVAL_SECONDS: '1', ONE_TIME_VALIDITY_SECONDS: String(LIFETIME_SECONDS) });
  token = await openServiceToken(server);
}, 120_000);

afterAll(async () => {
  await token?.close();
  await server?.stop();
});

describe('one-time credential expiry', () => {
  it('is deleted by the purge once its certificate has expired, the lasting one next to it is not', async () => {
    const { username, password } = await newUser(server, 'v22x', {}, { otp: false });
    const login = await csc22(server, 'auth/login', {}, { basic: [username, password] });
    const bearer = login.body.access_token as string;
    const before = await countObjects(token);
    const once = await csc22(server, 'credentials/create', { signAlgo: 'RS256', PIN: '246810', oneTime: true }, { bearer });
    const createdAt = Date.now();
    const kept = await csc22(server, 'credentials/create', { signAlgo: 'ES256', PIN: '246810' }, { bearer });
    expect([once.status, kept.status]).toEqual([200, 200]);
    // The certificate carries the configured default lifetime (its notAfter counts from the issue, not notBefore).
    const validTo = once.body.cert.validTo as string; // YYYYMMDDHHMMSSZ
    const notAfter = Date.UTC(+validTo.slice(0, 4), +validTo.slice(4, 6) - 1, +validTo.slice(6, 8), +validTo.slice(8, 10), +validTo.slice(10, 12), +validTo.slice(12, 14));
    expect(Math.abs(notAfter - (createdAt + LIFETIME_SECONDS * 1000))).toBeLessThan(3_000);
    expect(await countObjects(token)).toBe(before + 4);

    // Still there a few purges later: not expired yet.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(Date.now()).toBeLessThan(notAfter);
    expect(await countObjects(token)).toBe(before + 4);

    const deadline = Date.now() + 30_000;
    while ((await countObjects(token)) !== before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1_000));
    expect(await countObjects(token)).toBe(before + 2);
    const info = await csc22(server, 'credentials/info', { credentialID: once.body.credentialID }, { bearer });
    expect([info.status, info.body]).toEqual([400, { error: 'invalid_request', error_description: 'Invalid parameter credentialID' }]);
    expect((await csc22(server, 'credentials/list', {}, { bearer })).body.credentialIDs).toEqual([kept.body.credentialID]);
    const rows = await sql<{ reason: string }>(
      `SELECT detail::jsonb->>'reason' AS reason FROM sam.audit WHERE credential_id = $1 AND event = 'credential.delete' AND result = 'ok'`,
      [once.body.credentialID],
    );
    expect(rows).toEqual([{ reason: 'one-time-expired' }]);
  }, 60_000);
});
