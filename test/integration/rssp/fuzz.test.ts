// No request produces a 500: every field of every method replaced by every kind of wrong value, and odd bodies.
// Each answer must also be one the OpenAPI document declares.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CscOperation } from '../../../openapi/validate.ts';
import { addCredential, b64, csc, makeChain, OID, sha256, signer, startApp, type TestApp } from './helpers.ts';

let app: TestApp;
let token: string;
let credentialID: string;

beforeAll(async () => {
  app = await startApp();
  app.deps.audit = { evidence: async () => [] };
  const s = signer(app);
  token = s.token;
  const chain = makeChain('Fuzz', new Date(Date.now() - 86400_000), new Date(Date.now() + 86400_000));
  credentialID = (await addCredential(app, s.user.id, { multisign: 2, certificates: [chain.leaf, chain.root] })).credentialID;
});
afterAll(() => app?.close());

const WRONG: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  ' ',
  'x'.repeat(5000),
  '\u0000\uFFFF\uD83D\uDE00',
  '__proto__',
  'constructor',
  [],
  [null],
  [1, 'a'],
  [[]],
  {},
  { __proto__: { polluted: true } },
  { id: 'PIN', value: 1 },
];

function validBodies(): Record<CscOperation, Record<string, unknown>> {
  return {
    'info': { lang: 'en' },
    'auth/login': { refresh_token: 'rt', rememberMe: true, clientData: 'c' },
    'auth/revoke': { token: 't', token_type_hint: 'access_token', clientData: 'c' },
    'credentials/list': { userID: null, credentialInfo: true, certificates: 'chain', certInfo: true, authInfo: true, onlyValid: true, lang: 'en', clientData: 'c' },
    'credentials/info': { credentialID, certificates: 'chain', certInfo: false, authInfo: true, lang: 'en', clientData: 'c' },
    'credentials/authorize': {
      credentialID,
      numSignatures: 1,
      hashes: [b64(sha256('a'))],
      hashAlgorithmOID: OID.sha256,
      authData: [{ id: 'PIN', value: '1' }, { id: 'OTP', value: '2' }],
      description: 'd',
      clientData: 'c',
    },
    'credentials/authorizeCheck': { handle: 'h', clientData: 'c' },
    'credentials/getChallenge': { credentialID, authObjectID: 'OTP', clientData: 'c' },
    'credentials/extendTransaction': { credentialID, SAD: 's', hashes: [b64(sha256('a'))], hashAlgorithmOID: OID.sha256, clientData: 'c' },
    'signatures/signHash': {
      credentialID,
      SAD: 's',
      hashes: [b64(sha256('a'))],
      hashAlgorithmOID: OID.sha256,
      signAlgo: OID.ecdsaSha256,
      signAlgoParams: 'AAAA',
      operationMode: 'S',
      validity_period: 1,
      response_uri: 'https://x.example',
      clientData: 'c',
    },
    'signatures/signDoc': {
      credentialID,
      SAD: 's',
      documents: [{ document: b64(Buffer.from('%PDF-1.4 not really')), signature_format: 'C', conformance_level: 'AdES-B-B', signAlgo: OID.ecdsaSha256, signed_envelope_property: 'Detached' }],
      operationMode: 'S',
      clientData: 'c',
    },
    'signatures/signPolling': { requestID: 'r', userID: null, clientData: 'c' },
    'signatures/timestamp': { hash: b64(sha256('a')), hashAlgo: OID.sha256, nonce: 'c0ffee', clientData: 'c' },
    'ext/signatureEvidence': { credentialID, hash: b64(sha256('a')), SAD: 's', clientData: 'c' },
  };
}

async function expectNo500(op: CscOperation, body: unknown, label: string) {
  const res = await csc(app, op, typeof body === 'string' ? body : JSON.stringify(body), { bearer: token });
  expect(res.status, `${op} ${label}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(typeof res.body.error, label).toBe('string');
    expect(typeof res.body.error_description, label).toBe('string');
  }
}

it('answers every mistyped field of every method with a CSC error, never a 500', async () => {
  let calls = 0;
  for (const [op, valid] of Object.entries(validBodies()) as [CscOperation, Record<string, unknown>][]) {
    for (const field of Object.keys(valid)) {
      for (const wrong of WRONG) {
        await expectNo500(op, { ...valid, [field]: wrong }, `${field}=${JSON.stringify(wrong)?.slice(0, 40)}`);
        calls++;
      }
      // wrong values inside arrays of objects, too
      const inner = valid[field];
      if (Array.isArray(inner)) {
        for (const wrong of WRONG) {
          await expectNo500(op, { ...valid, [field]: [...inner, wrong] }, `${field}[+${JSON.stringify(wrong)?.slice(0, 40)}]`);
          calls++;
        }
      }
    }
  }
  expect(calls).toBeGreaterThan(800);
  // the SAM fake never failed and was called only with well-formed commands
  for (const c of app.sam.callsOf('signHash')) expect((c.hashes as Uint8Array[]).every((h) => h instanceof Uint8Array)).toBe(true);
}, 120_000);

it('answers odd whole bodies with a CSC error, never a 500', async () => {
  const odd = ['null', '[]', '"x"', '1', 'true', '{', '{"a":}', '{"credentialID":"\\ud800"}', '{}'.repeat(3), JSON.stringify({ a: { b: { c: { d: [[[[[]]]]] } } } })];
  for (const op of Object.keys(validBodies()) as CscOperation[]) {
    for (const body of odd) await expectNo500(op, body, body.slice(0, 40));
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
