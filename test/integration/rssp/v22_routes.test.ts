// /csc/v2.2 in front of the rssp fakes (PostgreSQL records, fake SAM): the cap on credentials per user that keeps a
// service token from filling the HSM, the fake SAM told to create and delete, and the v2.0 actions answering on
// v2.2 with the v2.0 wording (their bodies checked against csc-v2.2.yaml).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CREDENTIALS_PER_USER } from '../../../rssp/http/v22/actions/credentials_create.ts';
import { cscV22Routes } from '../../../rssp/http/v22/router.ts';
import { addCredential, b64, sha256, signer, startApp, type TestApp } from './helpers.ts';

let t: TestApp;
let server: http.Server;
let url: string;

beforeAll(async () => {
  t = await startApp();
  const app = new Koa();
  app.silent = true;
  app.use(cscV22Routes(t.deps));
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await t?.close();
});

async function post(op: string, body: unknown, bearer: string) {
  const res = await fetch(`${url}/csc/v2.2/${op}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('/csc/v2.2 routes', () => {
  it('reads explicit nulls of optional parameters as absent, as on /csc/v2 (the body the EUDI rQES library sends)', async () => {
    const s = signer(t);
    const cred = await addCredential(t, s.user.id);
    const res = await post('signatures/signHash', {
      credentialID: cred.credentialID, SAD: 'the-sad', hashes: [b64(sha256('eudi'))], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
      signAlgo: '1.2.840.10045.4.3.2', signAlgoParams: null, operationMode: 'S', validity_period: null, response_uri: null, hashType: 'dtbsr', clientData: null,
    }, s.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(t.sam.callsOf('signHash').at(-1)).toMatchObject({ credentialID: cred.credentialID, signAlgoParams: undefined });
  });

  it('creates through the SAM port as the CSC origin, with the one-time lifetime, and deletes through it', async () => {
    const s = signer(t);
    // The fake SAM's "certificate" is two bytes, so the answer is not looked at here (the e2e tests read it).
    await post('credentials/create', { signAlgo: 'PS256', PIN: '1234', oneTime: true }, s.token);
    const call = t.sam.callsOf('createCredential').at(-1)!;
    expect(call).toMatchObject({ ownerId: s.user.id, algo: 'RSA-2048', pssOnly: true, pin: '1234', oneTime: true, validitySeconds: 900, origin: 'csc' });
    const record = await addCredential(t, s.user.id);
    expect(await post('credentials/delete', { credentialID: record.credentialID }, s.token)).toEqual({ status: 204, body: undefined });
    expect(t.sam.callsOf('deleteCredential').at(-1)).toMatchObject({ credentialID: record.credentialID, ownerId: s.user.id });
    expect(await post('credentials/delete', { credentialID: record.credentialID }, s.token)).toEqual({
      status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter credentialID' },
    });
  });

  it(`refuses a creation beyond ${MAX_CREDENTIALS_PER_USER} live credentials, before the SAM is asked`, async () => {
    const s = signer(t);
    for (let i = 0; i < MAX_CREDENTIALS_PER_USER; i++) await addCredential(t, s.user.id);
    const before = t.sam.callsOf('createCredential').length;
    const res = await post('credentials/create', { signAlgo: 'ES256' }, s.token);
    expect(res).toEqual({ status: 400, body: { error: 'invalid_request', error_description: `At most ${MAX_CREDENTIALS_PER_USER} credentials per user: delete one first` } });
    expect(t.sam.callsOf('createCredential').length).toBe(before);
  });

  it('runs the v2.0 actions with their v2.0 refusals', async () => {
    const s = signer(t);
    const res = await post('signatures/signHash', { credentialID: 'x', hashes: 'not an array', signAlgo: '1.2.840.10045.4.3.2' }, s.token);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(/hashes/);
  });
});
