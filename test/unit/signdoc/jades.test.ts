// JAdES (CSC v2 §11.11 signature_format "J", ETSI TS 119 182-1): attached and detached, for an EC P-256 and an RSA
// signer, verified with `jose` under the certificate's key, with the protected header read back; B-T tokens
// checked with `openssl ts -verify` over the base64url signature value.
import { createHash, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { compactVerify, decodeProtectedHeader, flattenedVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JADES_DETACHED_NAME, JADES_SIGD_MECHANISM, jades } from '../../../rssp/signdoc/formats/jades.ts';
import { makePki, OID, PSS_SHA256_PARAMS, signWith, type Pki, type TestSigner } from './fixtures.ts';

let pki: Pki;
const DOC = Buffer.from('{"invoice":42,"lines":[{"item":"coffee","qty":2}]}\n');
const CRIT = { sigT: true, sigD: true };

beforeAll(async () => {
  pki = await makePki();
}, 60_000);
afterAll(() => pki?.cleanup());

const publicKey = (s: TestSigner) => new X509Certificate(s.certDer).publicKey;
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('ascii');

function assertHeader(header: Record<string, unknown>, s: TestSigner, alg: string) {
  expect(header.alg).toBe(alg);
  expect(header['x5t#S256']).toBe(createHash('sha256').update(s.certDer).digest('base64url'));
  expect(header.x5c).toEqual(s.signer.certificates.map((c) => Buffer.from(c).toString('base64')));
  expect(header.sigT).toBe('2026-12-03T10:20:30Z');
}

describe.each([
  ['ec', 'ES256'],
  ['rsa', 'RS256'],
] as const)('JAdES with the %s signer', (kind, alg) => {
  it('Attached, compact: jose verifies it and the payload is the document', async () => {
    const s = pki[kind];
    const { out, prepared } = await signWith(jades, { document: DOC, envelope: 'Attached', level: 'AdES-B-B', signer: s.signer }, s.key, pki.services);
    expect(out.kind).toBe('DocumentWithSignature');
    const jws = text(out.bytes);
    expect(jws.split('.')).toHaveLength(3);
    expect(text(prepared.dtbsr)).toBe(jws.split('.').slice(0, 2).join('.'));
    const verified = await compactVerify(jws, publicKey(s), { crit: CRIT });
    expect(Buffer.from(verified.payload)).toEqual(DOC);
    assertHeader(verified.protectedHeader, s, alg);
    expect(verified.protectedHeader).toMatchObject({ typ: 'jose', crit: ['sigT'] });
    expect(verified.protectedHeader.sigD).toBeUndefined();
  });

  it('Detached: empty payload, sigD with the document hash, b64 false; jose verifies it', async () => {
    const s = pki[kind];
    const { out } = await signWith(jades, { document: DOC, envelope: 'Detached', level: 'AdES-B-B', signer: s.signer }, s.key, pki.services);
    expect(out.kind).toBe('SignatureObject');
    const [protectedHeader, payload, signature] = text(out.bytes).split('.');
    expect(payload).toBe('');
    expect((await compactVerify(text(out.bytes), publicKey(s), { crit: CRIT })).payload).toHaveLength(0);
    const verified = await flattenedVerify({ protected: protectedHeader!, payload: '', signature: signature! }, publicKey(s), { crit: CRIT });
    expect(verified.payload).toHaveLength(0);
    assertHeader(verified.protectedHeader!, s, alg);
    expect(verified.protectedHeader).toMatchObject({
      b64: false,
      crit: ['sigT', 'sigD', 'b64'],
      sigD: { mId: JADES_SIGD_MECHANISM, pars: [JADES_DETACHED_NAME], hashM: 'S256', hashV: [createHash('sha256').update(DOC).digest('base64url')] },
    });
    // Another key does not verify it.
    const other = kind === 'ec' ? pki.rsa : pki.ec;
    await expect(flattenedVerify({ protected: protectedHeader!, payload: '', signature: signature! }, publicKey(other), { crit: CRIT })).rejects.toThrow();
  });
});

it('Detached from the digest alone (documentDigests) carries that digest in sigD', async () => {
  const s = pki.ec;
  const digest = createHash('sha256').update('a document the service never sees').digest();
  const { out } = await signWith(jades, { documentDigest: digest, envelope: 'Detached', level: 'AdES-B-B', signer: s.signer }, s.key, pki.services);
  const [protectedHeader, , signature] = text(out.bytes).split('.');
  const verified = await flattenedVerify({ protected: protectedHeader!, payload: '', signature: signature! }, publicKey(s), { crit: CRIT });
  expect((verified.protectedHeader!.sigD as { hashV: string[] }).hashV).toEqual([digest.toString('base64url')]);
});

it('RSASSA-PSS with SHA-256 is PS256', async () => {
  const s = pki.rsa;
  const signer = { ...s.signer, signAlgo: OID.pss, signAlgoParams: PSS_SHA256_PARAMS };
  const { out } = await signWith(jades, { document: DOC, envelope: 'Attached', level: 'AdES-B-B', signer }, s.key, pki.services);
  const verified = await compactVerify(text(out.bytes), publicKey(s), { crit: CRIT });
  expect(verified.protectedHeader.alg).toBe('PS256');
});

describe('AdES-B-T: flattened JSON with etsiU sigTst', () => {
  it.each(['Attached', 'Detached'])('%s: the token is over the base64url signature value and verifies with openssl ts', async (envelope) => {
    const s = pki.ec;
    const before = pki.tsa.issued;
    const { out } = await signWith(jades, { document: DOC, envelope, level: 'AdES-B-T', signer: s.signer }, s.key, pki.services);
    expect(pki.tsa.issued).toBe(before + 1);
    const jws = JSON.parse(Buffer.from(out.bytes).toString('utf8'));
    const verified = await flattenedVerify(jws, publicKey(s), { crit: CRIT });
    expect(verified.protectedHeader).toMatchObject({ typ: 'jose+json', alg: 'ES256' });
    expect(Buffer.from(verified.payload)).toEqual(envelope === 'Attached' ? DOC : Buffer.alloc(0));
    const sigTst = verified.unprotectedHeader!.etsiU as { sigTst: { tstTokens: { val: string }[] } }[];
    expect(sigTst).toHaveLength(1);
    const imprint = createHash('sha256').update(jws.signature, 'ascii').digest();
    expect(pki.tsa.lastImprint).toEqual(imprint);
    writeFileSync(pki.file('jades.tst'), Buffer.from(sigTst[0]!.sigTst.tstTokens[0]!.val, 'base64'));
    const ok = await pki.openssl('ts', '-verify', '-digest', imprint.toString('hex'), '-in', pki.file('jades.tst'), '-token_in',
      '-CAfile', pki.file('ca.pem'), '-untrusted', pki.file('tsa.pem'));
    expect(ok.stdout).toContain('Verification: OK');
    expect(decodeProtectedHeader(jws).sigT).toBe('2026-12-03T10:20:30Z');
  });
});

describe('refusals (DocumentFormatError)', () => {
  const base = () => ({ level: 'AdES-B-B' as const, signer: pki.ec.signer, signedProps: [], signingTime: new Date(), documentDigest: new Uint8Array(32) });
  const refused = (input: Partial<Parameters<typeof jades.prepare>[0]>, message: RegExp) =>
    expect(jades.prepare({ ...base(), envelope: 'Attached', document: DOC, ...input })).rejects.toThrow(
      expect.objectContaining({ name: 'DocumentFormatError', message: expect.stringMatching(message) }),
    );

  it('an unknown envelope', () => refused({ envelope: 'Enveloped' }, /^JAdES has no envelope Enveloped$/));
  it('an attached signature of a digest alone', () => refused({ document: undefined }, /needs the document itself/));
  it('a hash JWS cannot pair with the P-256 key', () =>
    refused({ signer: { ...pki.ec.signer, signAlgo: '1.2.840.10045.2.1', hashAlgorithmOID: OID.sha384 }, documentDigest: new Uint8Array(48) }, /RFC 7518/));
  it('a signAlgo that contradicts hashAlgorithmOID', () =>
    refused({ signer: { ...pki.ec.signer, hashAlgorithmOID: OID.sha384 }, documentDigest: new Uint8Array(48) }, /does not match/));
});
