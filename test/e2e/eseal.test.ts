// Issue #11 item 4, e-seals (CSC v2 §8.5): an organisation (an OAuth client marked as seal owner) gets a service
// token with the client credentials grant, sees only its own seals, activates a SCAL 1 seal once with its PIN for a
// bounded batch and signs across several signHash calls; a SCAL 2 seal binds every batch to its hashes. Black-box
// over HTTP against the service as a process on SoftHSM, the machine's PostgreSQL and Redis.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activationLinkFor, redeemActivation } from './activation_page.ts';
import { admin, csc, opensslVerify, pem, sealAuditRows, type Server, startServer, totp } from './harness.ts';
import { v1 } from './v1_client.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const RSA_SHA256 = '1.2.840.113549.1.1.11';
/** A short window, so that its end can be waited for; long enough for a few signatures on a busy machine. */
const BATCH_SECONDS = 6;
const BATCH_MAX = 4;

let server: Server;
let sql: pg.Client;

type Org = { clientId: string; secret: string; token: string };

const digest = (s: string) => createHash('sha256').update(s).digest();
const b64 = (b: Buffer) => b.toString('base64');

async function tokenRequest(clientId: string, secret: string, body = 'grant_type=client_credentials&scope=service') {
  const res = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function newOrg(name: string): Promise<Org> {
  const created = await admin(server, 'client:create', '--name', name, '--seal-owner', 'true');
  expect(created.code, created.stderr).toBe(0);
  const { client_id: clientId, client_secret: secret } = created.json;
  const token = await tokenRequest(clientId, secret);
  expect(token.status).toBe(200);
  expect(token.body).toMatchObject({ token_type: 'Bearer', scope: 'service' });
  expect(token.body.refresh_token).toBeUndefined();
  return { clientId, secret, token: token.body.access_token as string };
}

async function newSeal(org: Org, extra: string[]): Promise<string> {
  const res = await admin(server, 'seal:create', '--client', org.clientId, '--organization', 'Example Widgets SA', '--pin', '24680', ...extra);
  expect(res.code, res.stderr).toBe(0);
  expect(res.json.ownerId).toBe(`org:${org.clientId}`);
  return res.json.credentialID;
}

async function certificateOf(token: string, credentialID: string): Promise<string> {
  const info = await csc(server, 'credentials/info', { credentialID, certificates: 'single' }, { bearer: token });
  expect(info.status).toBe(200);
  return pem(info.body.cert.certificates[0]);
}

async function authorizeBatch(org: Org, credentialID: string, numSignatures: number, pin = '24680') {
  return csc(server, 'credentials/authorize', { credentialID, numSignatures, authData: [{ id: 'PIN', value: pin }] }, { bearer: org.token });
}

async function signHash(token: string, credentialID: string, sad: string, hashes: Buffer[], signAlgo = ECDSA_SHA256) {
  return csc(server, 'signatures/signHash', { credentialID, SAD: sad, hashes: hashes.map(b64), hashAlgorithmOID: SHA256, signAlgo }, { bearer: token });
}

let orgA: Org;
let orgB: Org;
let sealA1: string; // orgA, SCAL 1, ECDSA, batches of up to 3
let sealA2: string; // orgA, SCAL 2, RSA, batches of up to 2 bound to their hashes
let sealB: string; // orgB, SCAL 1
let alice: { token: string; credentialID: string };

beforeAll(async () => {
  server = await startServer({ SEAL_BATCH_SECONDS: String(BATCH_SECONDS), SEAL_BATCH_MAX_SIGNATURES: String(BATCH_MAX) });
  sql = new pg.Client({ connectionString: server.env.DATABASE_URL });
  await sql.connect();
  orgA = await newOrg('Example Widgets sealing');
  orgB = await newOrg('Other Org sealing');
  sealA1 = await newSeal(orgA, ['--algo', 'ES256', '--scal', '1', '--multisign', '3']);
  sealA2 = await newSeal(orgA, ['--algo', 'RS256', '--scal', '2', '--multisign', '2']);
  sealB = await newSeal(orgB, ['--algo', 'ES256', '--scal', '1', '--multisign', '3']);

  const username = `alice-${randomBytes(4).toString('hex')}`;
  expect((await admin(server, 'user:create', '--username', username, '--password', 'correct horse battery', '--name', 'Alice Example')).code).toBe(0);
  const cred = await admin(server, 'credential:create', '--username', username, '--algo', 'ES256', '--pin', '123456', '--scal', '1', '--multisign', '3');
  expect(cred.code, cred.stderr).toBe(0);
  const login = await csc(server, 'auth/login', {}, { basic: [username, 'correct horse battery'] });
  alice = { token: login.body.access_token, credentialID: cred.json.credentialID };
}, 180_000);

afterAll(async () => {
  await sql?.end();
  await server?.stop();
});

describe('the client credentials grant', () => {
  it('is refused to a client the operator did not mark as seal owner', async () => {
    const plain = await admin(server, 'client:create', '--name', 'Plain app', '--redirect-uri', 'http://127.0.0.1:9/cb');
    expect(plain.code, plain.stderr).toBe(0);
    const res = await tokenRequest(plain.json.client_id, plain.json.client_secret);
    expect(res.status).toBe(400);
    // oidc-provider answers invalid_request here (RFC 6749 §5.2 would allow unauthorized_client too).
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
  });

  it('is the mark seal:create asks for: a seal for any other client is refused before a key is made', async () => {
    const plain = await admin(server, 'client:create', '--name', 'Not an org', '--redirect-uri', 'http://127.0.0.1:9/cb');
    for (const clientId of [plain.json.client_id, 'no-such-client']) {
      const res = await admin(server, 'seal:create', '--client', clientId, '--organization', 'X', '--algo', 'ES256', '--pin', '24680');
      expect(res.code).toBe(1);
      expect(res.stderr.trim()).toBe(
        'error: Unknown client_id, or the client is not a seal owner (client:create --seal-owner true) (HTTP 400 invalid_request)',
      );
    }
    const listed = await admin(server, 'client:list');
    const marks = new Map(listed.json.map((c: any) => [c.client_id, c.seal_owner]));
    expect([marks.get(plain.json.client_id), marks.get(orgA.clientId)]).toEqual([false, true]);
  }, 90_000); // four admin CLI processes: each a cold node + tsx start, over 7 s apiece on a loaded 2-core machine

  it('gives a seal-only client no credential scope', async () => {
    const res = await tokenRequest(orgA.clientId, orgA.secret, 'grant_type=client_credentials&scope=credential');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_scope', error_description: 'requested scope is not allowed', scope: 'credential' });
  });

  it('answers with the wrong secret as for any client', async () => {
    const res = await tokenRequest(orgA.clientId, 'not-the-secret');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });
});

describe('credentials/list and credentials/info with an organisation token', () => {
  it("lists only that organisation's seals, described as seals", async () => {
    const list = await csc(server, 'credentials/list', { credentialInfo: true, authInfo: true, certInfo: true }, { bearer: orgA.token });
    expect(list.status).toBe(200);
    expect([...list.body.credentialIDs].sort()).toEqual([sealA1, sealA2].sort());
    const infos = new Map<string, any>(list.body.credentialInfos.map((i: any) => [i.credentialID, i]));
    const scal1 = infos.get(sealA1);
    expect(scal1).toMatchObject({ signatureQualifier: 'eu_eidas_aeseal', SCAL: '1', multisign: 3, auth: { mode: 'explicit', expression: 'PIN' } });
    expect(scal1.auth.objects.map((o: any) => o.id)).toEqual(['PIN']);
    // The certificate names the legal person, and no person.
    expect(scal1.cert.subjectDN).toMatch(/O=Example Widgets SA/);
    expect(scal1.cert.subjectDN).toMatch(/CN=Example Widgets SA/);
    const scal2 = infos.get(sealA2);
    expect(scal2).toMatchObject({ signatureQualifier: 'eu_eidas_aeseal', SCAL: '2', auth: { expression: 'PIN AND OTP' } });
    expect(scal2.auth.objects.map((o: any) => [o.id, o.generator])).toEqual([['PIN', undefined], ['OTP', 'totp']]);

    const b = await csc(server, 'credentials/list', {}, { bearer: orgB.token });
    expect(b.body.credentialIDs).toEqual([sealB]);
  });

  it('CSC v1 credentials/info announces the PIN of a SCAL 1 seal and no OTP, both for a SCAL 2 seal', async () => {
    const one = await v1(server, 'credentials/info', { credentialID: sealA1, authInfo: true }, { bearer: orgA.token });
    expect(one.status).toBe(200);
    expect([one.body.SCAL, one.body.PIN.presence, one.body.OTP]).toEqual(['1', 'true', { presence: 'false' }]);
    const two = await v1(server, 'credentials/info', { credentialID: sealA2, authInfo: true }, { bearer: orgA.token });
    expect([two.body.SCAL, two.body.PIN.presence, two.body.OTP.presence, two.body.OTP.type]).toEqual(['2', 'true', 'true', 'offline']);
  });

  it('credentials/getChallenge on a seal: its OTP is the TOTP, so there is no code to send (v2 and v1)', async () => {
    const refused = { error: 'invalid_request', error_description: 'Invalid parameter authObjectID' };
    for (const id of [sealA1, sealA2]) {
      expect(await csc(server, 'credentials/getChallenge', { credentialID: id, authObjectID: 'OTP' }, { bearer: orgA.token })).toMatchObject({ status: 400, body: refused });
    }
  });

  it("a seal's certification request names the legal person of its certificate, signed by the seal's key", async () => {
    const res = await admin(server, 'credential:csr', '--id', sealA2);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    const out = execFileSync('openssl', ['req', '-noout', '-verify', '-subject', '-nameopt', 'RFC2253'], { input: res.stdout, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
    expect(out.trim()).toBe('subject=CN=Example Widgets SA,O=Example Widgets SA');
  });

  it("a person's list has no seal and no signatureQualifier", async () => {
    const list = await csc(server, 'credentials/list', { credentialInfo: true }, { bearer: alice.token });
    expect(list.body.credentialIDs).toEqual([alice.credentialID]);
    expect(list.body.credentialInfos[0].signatureQualifier).toBeUndefined();
  });

  it("refuses another organisation's seal and a person's credential, and a person is refused a seal", async () => {
    const refused = { error: 'invalid_request', error_description: 'Invalid parameter credentialID' };
    for (const [token, id] of [
      [orgA.token, sealB],
      [orgA.token, alice.credentialID],
      [alice.token, sealA1],
    ] as const) {
      const info = await csc(server, 'credentials/info', { credentialID: id }, { bearer: token });
      expect(info).toMatchObject({ status: 400, body: refused });
      const auth = await csc(server, 'credentials/authorize', { credentialID: id, numSignatures: 1, authData: [{ id: 'PIN', value: '24680' }] }, { bearer: token });
      expect(auth).toMatchObject({ status: 400, body: refused });
    }
  });
});

describe('a SCAL 1 seal: one PIN activation for a bounded batch', () => {
  it('signs across signHash calls up to numSignatures, then refuses the next one; the audit names the organisation', async () => {
    const auth = await authorizeBatch(orgA, sealA1, 3);
    expect(auth.status).toBe(200);
    expect(auth.body.expiresIn).toBe(BATCH_SECONDS);
    const sad = auth.body.SAD;
    const certPem = await certificateOf(orgA.token, sealA1);
    const hashes = [digest('invoice 1'), digest('invoice 2'), digest('invoice 3')];
    const first = await signHash(orgA.token, sealA1, sad, [hashes[0]!]);
    expect(first.status).toBe(200);
    const rest = await signHash(orgA.token, sealA1, sad, [hashes[1]!, hashes[2]!]);
    expect(rest.status).toBe(200);
    const signatures = [...first.body.signatures, ...rest.body.signatures];
    for (const [i, sig] of signatures.entries()) {
      expect(await opensslVerify({ certPem, digest: hashes[i]!, signature: Buffer.from(sig, 'base64'), hash: 'sha256' })).toBe(true);
    }
    const fourth = await signHash(orgA.token, sealA1, sad, [digest('invoice 4')]);
    expect(fourth).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'The SAD has been used for all the signatures it authorizes' } });

    const jti = JSON.parse(Buffer.from(sad.split('.')[1], 'base64url').toString()).jti;
    await sealAuditRows(async (text) => (await sql.query(text)).rows); // an unsealed row has no seq to order by yet
    const { rows } = await sql.query(
      'SELECT event, result, user_id, client_id, num_signatures, amr FROM sam.audit_chained WHERE sad_jti = $1 ORDER BY seq',
      [jti],
    );
    expect(rows.map((r) => [r.event, r.result, r.num_signatures])).toEqual([
      ['activate', 'ok', 3],
      ['sign', 'ok', 1],
      ['sign', 'ok', 2],
      ['sign', 'refused', 1],
    ]);
    for (const r of rows) expect([r.user_id, r.client_id]).toEqual([`org:${orgA.clientId}`, orgA.clientId]);
    expect(rows[0].amr).toEqual(['pwd']);
  });

  it('counts atomically: six parallel calls on a batch of three give three signatures', async () => {
    const auth = await authorizeBatch(orgA, sealA1, 3);
    expect(auth.status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => signHash(orgA.token, sealA1, auth.body.SAD, [digest(`parallel ${i}`)])));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
    for (const a of answers.filter((x) => x.status !== 200)) {
      expect(a).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'The SAD has been used for all the signatures it authorizes' } });
    }
  });

  it('refuses a batch above the credential multisign and above SEAL_BATCH_MAX_SIGNATURES', async () => {
    const over = await authorizeBatch(orgA, sealA1, 4);
    expect(over).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Numbers of signatures is too high' } });
    const big = await newSeal(orgA, ['--algo', 'ES256', '--scal', '1', '--multisign', String(BATCH_MAX + 1)]);
    const capped = await authorizeBatch(orgA, big, BATCH_MAX + 1);
    expect(capped).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Numbers of signatures is too high' } });
    expect((await authorizeBatch(orgA, big, BATCH_MAX)).status).toBe(200);
  });

  it('refuses a wrong PIN with the factor error', async () => {
    const res = await authorizeBatch(orgB, sealB, 1, '99999');
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_authentication_data', error_description: 'The authentication data is invalid' } });
  });

  it("refuses the batch's SAD once its window is over", async () => {
    const auth = await authorizeBatch(orgB, sealB, 3);
    expect(auth.status).toBe(200);
    expect((await signHash(orgB.token, sealB, auth.body.SAD, [digest('early')])).status).toBe(200);
    await new Promise((r) => setTimeout(r, (BATCH_SECONDS + 1.5) * 1000));
    const late = await signHash(orgB.token, sealB, auth.body.SAD, [digest('late')]);
    expect(late).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'SAD expired' } });
  }, 30_000);

  it("a batch SAD is useless with a person's token, and on a person's credential", async () => {
    const auth = await authorizeBatch(orgA, sealA1, 1);
    const refused = { error: 'invalid_request', error_description: 'Invalid parameter credentialID' };
    expect(await signHash(alice.token, sealA1, auth.body.SAD, [digest('x')])).toMatchObject({ status: 400, body: refused });
    expect(await signHash(orgA.token, alice.credentialID, auth.body.SAD, [digest('x')])).toMatchObject({ status: 400, body: refused });
  });
});

describe('a SCAL 2 seal: every batch bound to its hashes, PIN and the organisation TOTP', () => {
  let otpSecret: string;

  beforeAll(async () => {
    const enrolled = await admin(server, 'seal:otp', '--client', orgA.clientId);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    otpSecret = enrolled.json.secret;
  });

  it('needs hashes, signs exactly those and no other', async () => {
    const noHashes = await csc(
      server,
      'credentials/authorize',
      { credentialID: sealA2, numSignatures: 2, authData: [{ id: 'PIN', value: '24680' }, { id: 'OTP', value: await totp(otpSecret) }] },
      { bearer: orgA.token },
    );
    expect(noHashes).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Missing (or invalid type) array parameter hashes' } });

    const hashes = [digest('contract A'), digest('contract B')];
    const auth = await csc(
      server,
      'credentials/authorize',
      {
        credentialID: sealA2,
        numSignatures: 2,
        hashes: hashes.map(b64),
        hashAlgorithmOID: SHA256,
        authData: [{ id: 'PIN', value: '24680' }, { id: 'OTP', value: await totp(otpSecret) }],
      },
      { bearer: orgA.token },
    );
    expect(auth.status, JSON.stringify(auth.body)).toBe(200);
    const other = await signHash(orgA.token, sealA2, auth.body.SAD, [digest('contract C')], RSA_SHA256);
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Hash is not authorized by the SAD' } });
    const signed = await signHash(orgA.token, sealA2, auth.body.SAD, hashes, RSA_SHA256);
    expect(signed.status).toBe(200);
    const certPem = await certificateOf(orgA.token, sealA2);
    for (const [i, sig] of signed.body.signatures.entries()) {
      expect(await opensslVerify({ certPem, digest: hashes[i]!, signature: Buffer.from(sig, 'base64'), hash: 'sha256' })).toBe(true);
    }
  });

  it("the organisation's TOTP is not asked of its SCAL 1 seals: their PIN alone still opens a batch", async () => {
    const auth = await authorizeBatch(orgA, sealA1, 1);
    expect(auth.status, JSON.stringify(auth.body)).toBe(200);
    expect((await signHash(orgA.token, sealA1, auth.body.SAD, [digest('after the TOTP')])).status).toBe(200);
  });

  it('refuses the PIN alone', async () => {
    const res = await csc(
      server,
      'credentials/authorize',
      { credentialID: sealA2, numSignatures: 1, hashes: [b64(digest('d'))], hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '24680' }] },
      { bearer: orgA.token },
    );
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_authentication_data', error_description: 'The authentication data is invalid' } });
  });
});

describe('a seal whose PIN the organisation chooses on an activation link', () => {
  it('is created without a PIN, cannot be activated before the link, and seals with the factors chosen on it', async () => {
    const org = await newOrg('Activated sealing');
    const scal2 = await admin(server, 'seal:create', '--client', org.clientId, '--organization', 'Activated SA', '--algo', 'ES256', '--pin-by', 'activation');
    expect(scal2.code, scal2.stderr).toBe(0);
    const scal1 = await admin(server, 'seal:create', '--client', org.clientId, '--organization', 'Activated SA', '--algo', 'ES256', '--pin-by', 'activation', '--scal', '1');
    expect(scal1.code, scal1.stderr).toBe(0);
    expect((await authorizeBatch(org, scal1.json.credentialID, 1))).toMatchObject({
      status: 400, body: { error: 'invalid_authentication_data', error_description: 'The authentication data is invalid' },
    });

    const noAddress = await admin(server, 'seal:activation', '--client', org.clientId);
    expect(noAddress.stderr).toBe("error: An activation link needs the organisation's e-mail address or phone number (email, phone) (HTTP 400 invalid_request)\n");
    const foreign = await admin(server, 'seal:activation', '--client', org.clientId, '--email', 'seals@activated.example', '--credential', sealA1);
    expect(foreign.stderr).toBe('error: No credential with this credentialID (HTTP 404 invalid_request)\n');

    // The SCAL 1 seal alone: a PIN and no authenticator to enrol.
    const one = await admin(server, 'seal:activation', '--client', org.clientId, '--email', 'seals@activated.example', '--credential', scal1.json.credentialID);
    expect(one.code, one.stderr).toBe(0);
    expect(one.json).toEqual({ sentTo: { channel: 'email', to: 'seals@activated.example' }, expiresAt: one.json.expiresAt, credentialIDs: [scal1.json.credentialID] });
    const first = await activationLinkFor(server, org.clientId);
    expect(first.text).not.toContain('authenticator');
    expect(one.stdout).not.toContain(first.token);
    const r1 = await redeemActivation(server.url, first.token, '975310');
    expect([r1.status, r1.secret]).toEqual([200, null]);
    const batch = await authorizeBatch(org, scal1.json.credentialID, 1, '975310');
    expect(batch.status, JSON.stringify(batch.body)).toBe(200);

    // Then the SCAL 2 seal: its link enrols the organisation's authenticator too.
    const two = await admin(server, 'seal:activation', '--client', org.clientId, '--email', 'seals@activated.example', '--credential', scal2.json.credentialID);
    expect(two.code, two.stderr).toBe(0);
    const second = await activationLinkFor(server, org.clientId);
    expect(second.token).not.toBe(first.token);
    const r2 = await redeemActivation(server.url, second.token, '864209');
    expect(r2.status).toBe(200);
    expect(r2.secret).toMatch(/^[A-Z2-7]{32}$/);
    const hash = digest('activated seal');
    const auth = await csc(server, 'credentials/authorize', {
      credentialID: scal2.json.credentialID, numSignatures: 1, hashes: [b64(hash)], hashAlgorithmOID: SHA256,
      authData: [{ id: 'PIN', value: '864209' }, { id: 'OTP', value: await totp(r2.secret!, 1) }],
    }, { bearer: org.token });
    expect(auth.status, JSON.stringify(auth.body)).toBe(200);
    const signed = await signHash(org.token, scal2.json.credentialID, auth.body.SAD, [hash]);
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const certPem = await certificateOf(org.token, scal2.json.credentialID);
    expect(await opensslVerify({ certPem, digest: hash, signature: Buffer.from(signed.body.signatures[0], 'base64'), hash: 'sha256' })).toBe(true);
    // The SCAL 1 seal is still PIN-only now that the organisation has an authenticator.
    expect((await authorizeBatch(org, scal1.json.credentialID, 1, '975310')).status).toBe(200);
  }, 120_000); // six admin CLI runs, each a process of its own
});

describe("revoking an organisation's token", () => {
  it('auth/revoke ends the token and the batch SADs of the organisation with it; oauth2/revoke does the same', async () => {
    for (const how of ['auth/revoke', 'oauth2/revoke'] as const) {
      const t = (await tokenRequest(orgB.clientId, orgB.secret)).body.access_token as string;
      const auth = await csc(server, 'credentials/authorize', { credentialID: sealB, numSignatures: 2, authData: [{ id: 'PIN', value: '24680' }] }, { bearer: t });
      expect(auth.status).toBe(200);
      if (how === 'auth/revoke') {
        expect((await csc(server, 'auth/revoke', { token: t }, { bearer: t })).status).toBe(204);
      } else {
        const res = await fetch(`${server.url}/oauth2/revoke`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${orgB.clientId}:${orgB.secret}`).toString('base64')}` },
          body: `token=${t}`,
        });
        expect(res.status).toBe(200);
      }
      expect(await csc(server, 'credentials/list', {}, { bearer: t })).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
      // auth/revoke revokes the SADs before it answers; the provider's event of oauth2/revoke just after.
      const jti = JSON.parse(Buffer.from(auth.body.SAD.split('.')[1], 'base64url').toString()).jti;
      const revokedAt = async () => (await sql.query('SELECT revoked_at FROM sam.sads WHERE jti = $1', [jti])).rows[0].revoked_at;
      await expect.poll(revokedAt, { timeout: 5000 }).not.toBeNull();
      const fresh = (await tokenRequest(orgB.clientId, orgB.secret)).body.access_token as string;
      const refused = await signHash(fresh, sealB, auth.body.SAD, [digest(how)]);
      expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter SAD' } });
    }
  });
});
