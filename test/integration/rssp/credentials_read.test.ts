// credentials/list (CSC v2 §11.4) and credentials/info (§11.5): records from PostgreSQL, key state from the SAM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURVE_OID, signAlgosFor } from '../../../core/algorithms.ts';
import { describeCertificate } from '../../../core/cert_info.ts';
import { AUTH_OBJECTS } from '../../../rssp/app/credential_view.ts';
import { addCredential, b64, csc, makeChain, refusal, signer, startApp, type TestApp, type TestChain } from './helpers.ts';

let app: TestApp;
let chain: TestChain;
const DAY = 86400_000;

beforeAll(async () => {
  app = await startApp();
  chain = makeChain('Alice Example', new Date(Date.now() - DAY), new Date(Date.now() + 365 * DAY));
});
afterAll(() => app?.close());

describe('credentials/info', () => {
  it('describes the caller\'s credential with chain, certInfo and authInfo', async () => {
    const { user, token } = signer(app);
    const cred = await addCredential(app, user.id, { certificates: [chain.leaf, chain.root], multisign: 5, description: 'Company seal' });
    const res = await csc(app, 'credentials/info', { credentialID: cred.credentialID, certificates: 'chain', certInfo: true, authInfo: true }, { bearer: token });
    expect(res.status).toBe(200);
    const described = describeCertificate(chain.leaf);
    expect(res.body).toEqual({
      description: 'Company seal',
      key: { status: 'enabled', algo: signAlgosFor('EC-P256'), len: 256, curve: CURVE_OID['P-256'] },
      cert: {
        status: 'valid',
        certificates: [b64(chain.leaf), b64(chain.root)],
        issuerDN: 'CN=Test Root CA,O=Test',
        serialNumber: described.serialNumber,
        subjectDN: 'CN=Alice Example,O=Test',
        validFrom: described.validFrom,
        validTo: described.validTo,
      },
      auth: {
        mode: 'explicit',
        expression: 'PIN AND OTP',
        objects: [
          { type: 'Password', id: 'PIN', format: 'N', label: 'PIN', description: AUTH_OBJECTS[0]!.description },
          { type: 'Password', id: 'OTP', format: 'N', generator: 'totp', label: 'OTP', description: AUTH_OBJECTS[1]!.description },
        ],
      },
      SCAL: '2',
      multisign: 5,
      lang: 'en-US',
    });
    expect(described.serialNumber).toMatch(/^C0FFEE[0-9A-F]{8}$/);
    expect(app.sam.callsOf('state').at(-1)).toEqual({ ids: [cred.credentialID] });
  });

  it('returns the end-entity certificate only by default, and no certInfo or auth details', async () => {
    const { user, token } = signer(app);
    const cred = await addCredential(app, user.id, { certificates: [chain.leaf, chain.root], keyAlgo: 'RSA-3072', scal: '1' });
    const res = await csc(app, 'credentials/info', { credentialID: cred.credentialID }, { bearer: token });
    expect(res.body).toEqual({
      key: { status: 'enabled', algo: signAlgosFor('RSA-3072'), len: 3072 },
      cert: { status: 'valid', certificates: [b64(chain.leaf)] },
      auth: { mode: 'explicit' },
      SCAL: '1',
      multisign: 1,
      lang: 'en-US',
    });
  });

  it('returns no certificate for certificates "none"', async () => {
    const { user, token } = signer(app);
    const cred = await addCredential(app, user.id, { certificates: [chain.leaf, chain.root] });
    const res = await csc(app, 'credentials/info', { credentialID: cred.credentialID, certificates: 'none' }, { bearer: token });
    expect(res.body.cert).toEqual({ status: 'valid' });
  });

  it('announces no auth objects for an oauth2code credential', async () => {
    const { user, token } = signer(app);
    const cred = await addCredential(app, user.id, { authMode: 'oauth2code' });
    const res = await csc(app, 'credentials/info', { credentialID: cred.credentialID, authInfo: true }, { bearer: token });
    expect(res.body.auth).toEqual({ mode: 'oauth2code' });
  });

  it('reports a disabled key, an expired certificate, and omits the status of one not yet valid', async () => {
    const { user, token } = signer(app);
    const disabled = await addCredential(app, user.id, {}, { enabled: false });
    const expired = await addCredential(app, user.id, {}, { notBefore: new Date(Date.now() - 10 * DAY).toISOString(), notAfter: new Date(Date.now() - DAY).toISOString() });
    const early = await addCredential(app, user.id, {}, { notBefore: new Date(Date.now() + DAY).toISOString(), notAfter: new Date(Date.now() + 10 * DAY).toISOString() });
    const info = async (id: string) => (await csc(app, 'credentials/info', { credentialID: id, certificates: 'none' }, { bearer: token })).body;
    expect(await info(disabled.credentialID)).toMatchObject({ key: { status: 'disabled' }, cert: { status: 'valid' } });
    expect(await info(expired.credentialID)).toMatchObject({ key: { status: 'disabled' }, cert: { status: 'expired' } });
    const e = await info(early.credentialID);
    expect(e.key.status).toBe('enabled');
    expect(e.cert).toEqual({});
  });

  it('refuses another user\'s credential exactly like an unknown one', async () => {
    const alice = signer(app);
    const bob = signer(app);
    const bobs = await addCredential(app, bob.user.id);
    const other = await csc(app, 'credentials/info', { credentialID: bobs.credentialID }, { bearer: alice.token });
    const unknown = await csc(app, 'credentials/info', { credentialID: 'no-such-credential' }, { bearer: alice.token });
    const long = await csc(app, 'credentials/info', { credentialID: 'x'.repeat(10_000) }, { bearer: alice.token });
    for (const res of [other, unknown, long]) expect(res).toMatchObject(refusal(400, 'invalid_request', 'Invalid parameter credentialID'));
  });

  it('refuses a credential the SAM does not know', async () => {
    const { user, token } = signer(app);
    const cred = await addCredential(app, user.id);
    app.sam.states.delete(cred.credentialID);
    const res = await csc(app, 'credentials/info', { credentialID: cred.credentialID }, { bearer: token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'Invalid parameter credentialID'));
  });

  it('refuses invalid parameters with the §11.5 wording', async () => {
    const { user, token } = signer(app);
    const cred = await addCredential(app, user.id);
    expect(await csc(app, 'credentials/info', {}, { bearer: token })).toMatchObject(
      refusal(400, 'invalid_request', 'Missing (or invalid type) string parameter credentialID'),
    );
    expect(await csc(app, 'credentials/info', { credentialID: cred.credentialID, certificates: 'all' }, { bearer: token })).toMatchObject(
      refusal(400, 'invalid_request', 'Invalid parameter certificates'),
    );
  });
});

describe('credentials/list', () => {
  it('lists the caller\'s credentials only, oldest first, and says it supports onlyValid', async () => {
    const alice = signer(app);
    const bob = signer(app);
    const a1 = await addCredential(app, alice.user.id);
    const a2 = await addCredential(app, alice.user.id);
    await addCredential(app, bob.user.id);
    const res = await csc(app, 'credentials/list', {}, { bearer: alice.token });
    expect(res.body).toEqual({ credentialIDs: [a1.credentialID, a2.credentialID], onlyValid: false });
  });

  it('answers an empty list for a user without credentials', async () => {
    const { token } = signer(app);
    const res = await csc(app, 'credentials/list', {}, { bearer: token });
    expect(res.body).toEqual({ credentialIDs: [], onlyValid: false });
  });

  it('adds credentialInfos with one SAM call for all credentials', async () => {
    const { user, token } = signer(app);
    const a = await addCredential(app, user.id, { certificates: [chain.leaf, chain.root], multisign: 3 });
    const b = await addCredential(app, user.id, { keyAlgo: 'RSA-2048', authMode: 'oauth2code', certificates: [chain.leaf] });
    const before = app.sam.callsOf('state').length;
    const res = await csc(app, 'credentials/list', { credentialInfo: true, certificates: 'chain', certInfo: true, authInfo: true }, { bearer: token });
    expect(app.sam.callsOf('state').length).toBe(before + 1);
    expect(app.sam.callsOf('state').at(-1)).toEqual({ ids: [a.credentialID, b.credentialID] });
    expect(res.body.credentialIDs).toEqual([a.credentialID, b.credentialID]);
    const [ia, ib] = res.body.credentialInfos;
    expect(ia).toMatchObject({ credentialID: a.credentialID, multisign: 3, cert: { certificates: [b64(chain.leaf), b64(chain.root)], subjectDN: 'CN=Alice Example,O=Test' }, auth: { mode: 'explicit', expression: 'PIN AND OTP' } });
    expect(ib).toMatchObject({ credentialID: b.credentialID, key: { len: 2048 }, auth: { mode: 'oauth2code' } });
    expect(ib.auth.objects).toBeUndefined();
  });

  it('ignores certificates, certInfo and authInfo without credentialInfo', async () => {
    const { user, token } = signer(app);
    const a = await addCredential(app, user.id);
    const res = await csc(app, 'credentials/list', { certificates: 'chain', certInfo: true, authInfo: true }, { bearer: token });
    expect(res.body).toEqual({ credentialIDs: [a.credentialID], onlyValid: false });
  });

  it('onlyValid leaves out disabled, locked, expired and not-yet-valid credentials', async () => {
    const { user, token } = signer(app);
    const good = await addCredential(app, user.id);
    await addCredential(app, user.id, {}, { enabled: false });
    await addCredential(app, user.id, {}, { locked: true });
    await addCredential(app, user.id, {}, { notAfter: new Date(Date.now() - DAY).toISOString() });
    await addCredential(app, user.id, {}, { notBefore: new Date(Date.now() + DAY).toISOString() });
    const all = await csc(app, 'credentials/list', {}, { bearer: token });
    expect(all.body.credentialIDs).toHaveLength(5);
    const valid = await csc(app, 'credentials/list', { onlyValid: true, credentialInfo: true }, { bearer: token });
    expect(valid.body.credentialIDs).toEqual([good.credentialID]);
    expect(valid.body.onlyValid).toBe(true);
    expect(valid.body.credentialInfos.map((i: { credentialID: string }) => i.credentialID)).toEqual([good.credentialID]);
  });

  it('leaves out a record the SAM does not know', async () => {
    const { user, token } = signer(app);
    const kept = await addCredential(app, user.id);
    const orphan = await addCredential(app, user.id);
    app.sam.states.delete(orphan.credentialID);
    const res = await csc(app, 'credentials/list', { credentialInfo: true }, { bearer: token });
    expect(res.body.credentialIDs).toEqual([kept.credentialID]);
  });

  it('refuses a userID with a user-specific token, accepts it null or empty', async () => {
    const { user, token } = signer(app);
    for (const userID of [user.id, 'someone-else']) {
      const res = await csc(app, 'credentials/list', { userID }, { bearer: token });
      expect(res).toMatchObject(refusal(400, 'invalid_request', 'userID parameter MUST be null'));
    }
    expect((await csc(app, 'credentials/list', { userID: null }, { bearer: token })).status).toBe(200);
    expect((await csc(app, 'credentials/list', { userID: '' }, { bearer: token })).status).toBe(200);
  });

  it('refuses an invalid certificates value', async () => {
    const { token } = signer(app);
    const res = await csc(app, 'credentials/list', { credentialInfo: true, certificates: 'everything' }, { bearer: token });
    expect(res).toMatchObject(refusal(400, 'invalid_request', 'Invalid parameter certificates'));
  });
});
