// signatures/signDoc (CSC v2 §11.11) against the service as its own process on SoftHSM and PostgreSQL: PAdES
// (Certification, Revision; B-B, B-T) checked by poppler's pdfsig, CAdES (Attached, Detached; B-B, B-T) by
// `openssl cms -verify`, the signature-time-stamps by `openssl ts -verify`, signatures made from digests, and the
// §11.11 refusals with their exact wordings, including a SAD bound to another document.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { compactVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePdfSignature } from '../../client/pdf/signature_update.ts';
import { classicPdf, xrefStreamPdf } from '../unit/client/pdf_fixtures.ts';
import { cmsOfPdf, cmsVerify, nssDbTrusting, pdfsig, signatureTimestampOf, signerInfoOf, tsVerify } from './ades_verify.ts';
import { admin, csc, login, newCredential, newUser, pem, type Server, startServer, tmpFile, totp } from './harness.ts';
import { Agent, authorize as oauthAuthorize, b64url, newSigner as newOAuthSigner, pkce, REDIRECT, token } from './oauth_harness.ts';

const run = promisify(execFile);
const SHA256 = '2.16.840.1.101.3.4.2.1';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const RSA_SHA256 = '1.2.840.113549.1.1.11';
const MAX_DOCUMENT = 200_000;

let server: Server;
let rootPem: string;
let nssDir: string;

type Signer = { username: string; otpSecret: string; token: string };

/** A signer with a TOTP enrolment and a service token (auth/login), through the admin API. */
async function newSigner(): Promise<Signer> {
  const u = await newUser(server, 'doc', (username) => ({ name: 'Dora Signer', email: `${username}@example.org` }));
  return { username: u.username, otpSecret: u.otpSecret, token: await login(server, u.username) };
}

const credentialOf = (signer: Signer, algo: string, multisign = 4): Promise<string> =>
  newCredential(server, signer.username, { algo, pin: '123456', multisign });

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** credentials/authorize (explicit, PIN + TOTP) for exactly these SHA-256 digests. */
async function authorize(signer: Signer, credentialID: string, digests: Uint8Array[]): Promise<string> {
  const res = await csc(
    server,
    'credentials/authorize',
    {
      credentialID,
      numSignatures: digests.length,
      hashes: digests.map(b64),
      hashAlgorithmOID: SHA256,
      authData: [
        { id: 'PIN', value: '123456' },
        { id: 'OTP', value: await totp(signer.otpSecret) },
      ],
    },
    { bearer: signer.token },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.SAD;
}

async function signDoc(signer: Signer, body: Record<string, unknown>) {
  return csc(server, 'signatures/signDoc', body, { bearer: signer.token });
}

/** What pdfsig prints for a valid PAdES signature over the whole file by our credential's certificate. */
function expectValidPades(out: string, signatures = 1) {
  const sigs = out.split(/^Signature #\d+:$/m).slice(1);
  expect(sigs, out).toHaveLength(signatures);
  for (const s of sigs) {
    expect(s, out).toContain('- Signature Type: ETSI.CAdES.detached');
    expect(s, out).toContain('- Signature Validation: Signature is Valid.');
    expect(s, out).toContain('- Certificate Validation: Certificate is Trusted.');
    expect(s, out).toContain('- Signer Certificate Common Name: Dora Signer');
  }
  expect(sigs[sigs.length - 1], out).toContain('- Total document signed');
}

beforeAll(async () => {
  server = await startServer({ SIGNDOC_MAX_DOCUMENT_BYTES: String(MAX_DOCUMENT) });
  const signer = await newSigner();
  const credentialID = await credentialOf(signer, 'ES256');
  const info = await csc(server, 'credentials/info', { credentialID, certificates: 'chain' }, { bearer: signer.token });
  const chain: string[] = info.body.cert.certificates;
  rootPem = pem(chain[chain.length - 1]!);
  nssDir = await nssDbTrusting(rootPem);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('signatures/signDoc, PAdES', () => {
  for (const level of ['AdES-B-B', 'AdES-B-T'] as const) {
    for (const envelope of ['Certification', 'Revision'] as const) {
      it(`${level} ${envelope}: the signed PDF verifies with pdfsig under the development root`, async () => {
        const signer = await newSigner();
        const credentialID = await credentialOf(signer, level === 'AdES-B-T' ? 'RS256' : 'ES256');
        const pdf = envelope === 'Certification' ? classicPdf() : xrefStreamPdf();
        const SAD = await authorize(signer, credentialID, [sha256(pdf)]);
        const res = await signDoc(signer, {
          credentialID,
          SAD,
          documents: [{
            document: b64(pdf), signature_format: 'P', conformance_level: level, signed_envelope_property: envelope,
            signAlgo: level === 'AdES-B-T' ? RSA_SHA256 : ECDSA_SHA256,
            signed_props: [
              { attribute_name: 'Reason', attribute_value: b64(Buffer.from('I approve')) },
              { attribute_name: 'Name', attribute_value: b64(Buffer.from('Zoë')) },
            ],
          }],
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(Object.keys(res.body)).toEqual(['DocumentWithSignature']);
        const signed = Buffer.from(res.body.DocumentWithSignature[0], 'base64');
        // An incremental update: the original bytes are kept as they were.
        expect(signed.subarray(0, pdf.length).equals(pdf)).toBe(true);
        const text = signed.toString('latin1');
        expect(/\/Perms\s*<<\s*\/DocMDP \d+ 0 R/.test(text)).toBe(envelope === 'Certification');
        expect(/\/TransformMethod \/DocMDP/.test(text)).toBe(envelope === 'Certification');
        const out = await pdfsig(signed, nssDir);
        expectValidPades(out);
        // signed_props Reason, in the signature dictionary (this pdfsig does not print it).
        expect(text).toContain(`/Reason <${Buffer.from('I approve').toString('hex')}>`);
        expect(text).toContain('/Name <feff005a006f00eb>'); // not ASCII: UTF-16BE with its BOM (ISO 32000-1 §7.9.2.2)
        const cms = cmsOfPdf(signed);
        const stamp = signatureTimestampOf(cms);
        if (level === 'AdES-B-T') {
          expect(stamp).toBeDefined();
          const ts = await tsVerify(stamp!.token, stamp!.signatureValue, rootPem);
          expect(ts.ok, ts.out).toBe(true);
        } else {
          expect(stamp).toBeUndefined();
        }
        // EN 319 142-1: no signing-time attribute in a PAdES CMS (the time is /M).
        expect(signerInfoOf(cms).signedAttrs!.attributes.map((a) => a.type)).not.toContain('1.2.840.113549.1.9.5');
      });
    }
  }

  it('a certified PDF (DocMDP P=2) takes a second, Revision signature; a second certification is refused', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'ES256');
    const pdf = classicPdf();
    const entry = (document: Buffer, envelope?: string) => ({ document: b64(document), signature_format: 'P', signAlgo: ECDSA_SHA256, ...(envelope ? { signed_envelope_property: envelope } : {}) });
    // No envelope: Certification, the §11.11 default for PAdES.
    const first = await signDoc(signer, { credentialID, SAD: await authorize(signer, credentialID, [sha256(pdf)]), documents: [entry(pdf)] });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const certified = Buffer.from(first.body.DocumentWithSignature[0], 'base64');
    expect(certified.toString('latin1')).toMatch(/\/TransformParams <<\/Type \/TransformParams \/P 2 \/V \/1\.2>>/);

    const again = await signDoc(signer, { credentialID, SAD: 'a.b.c', documents: [entry(certified)] });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({
      error: 'invalid_request',
      error_description: 'The document is not a PDF that can be signed: the document is already certified: it cannot be certified again',
    });
    // A second signer (pdfsig 22.12 reports "Unknown issue with Certificate" for the second of two signatures by one
    // certificate: see client_sign.test.ts).
    const cosigner = await newSigner();
    const coCredential = await credentialOf(cosigner, 'ES256');
    const second = await signDoc(cosigner, { credentialID: coCredential, SAD: await authorize(cosigner, coCredential, [sha256(certified)]), documents: [entry(certified, 'Revision')] });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expectValidPades(await pdfsig(Buffer.from(second.body.DocumentWithSignature[0], 'base64'), nssDir), 2);
  });

  it('from the digest of a prepared /ByteRange: returns the CMS to embed, which pdfsig accepts once embedded', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'ES256');
    const prepared = preparePdfSignature(classicPdf(), { signingTime: new Date(), contentsSize: 32_768 });
    const digest = sha256(prepared.signedBytes());
    const SAD = await authorize(signer, credentialID, [digest]);
    const res = await signDoc(signer, {
      credentialID,
      SAD,
      documentDigests: [{ hashes: [b64(digest)], hashAlgorithmOID: SHA256, signature_format: 'P', conformance_level: 'AdES-B-T', signAlgo: ECDSA_SHA256 }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body)).toEqual(['SignatureObject']);
    const signed = prepared.embed(Buffer.from(res.body.SignatureObject[0], 'base64'));
    expectValidPades(await pdfsig(signed, nssDir));
    const stamp = signatureTimestampOf(cmsOfPdf(signed))!;
    expect((await tsVerify(stamp.token, stamp.signatureValue, rootPem)).ok).toBe(true);
  });
});

describe('signatures/signDoc, CAdES', () => {
  it('Attached and Detached, B-B and B-T, in one request under one SAD: openssl cms and openssl ts verify them', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'ES256');
    const docs = ['contract one', 'contract two', 'contract three', 'contract four'].map((t) => Buffer.from(`${t}\n`));
    const SAD = await authorize(signer, credentialID, docs.map(sha256));
    const entry = (document: Buffer, envelope: string, level: string) => ({
      document: b64(document), signature_format: 'C', conformance_level: level, signed_envelope_property: envelope, signAlgo: ECDSA_SHA256,
    });
    const res = await signDoc(signer, {
      credentialID,
      SAD,
      documents: [entry(docs[0]!, 'Attached', 'AdES-B-B'), entry(docs[1]!, 'Detached', 'AdES-B-B'), entry(docs[2]!, 'Attached', 'AdES-B-T'), entry(docs[3]!, 'Detached', 'Ades-B-T')],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [attachedB, attachedT] = res.body.DocumentWithSignature.map((s: string) => Buffer.from(s, 'base64'));
    const [detachedB, detachedT] = res.body.SignatureObject.map((s: string) => Buffer.from(s, 'base64'));

    for (const [cms, content] of [[attachedB, docs[0]], [attachedT, docs[2]]] as const) {
      const v = await cmsVerify(cms, rootPem);
      expect(v.ok, v.out).toBe(true);
      expect(v.content.equals(content!)).toBe(true);
    }
    for (const [cms, content] of [[detachedB, docs[1]], [detachedT, docs[3]]] as const) {
      const v = await cmsVerify(cms, rootPem, content);
      expect(v.ok, v.out).toBe(true);
      // Detached means detached: the signature verifies over its own document only.
      expect((await cmsVerify(cms, rootPem, docs[0])).ok).toBe(false);
    }
    expect(signatureTimestampOf(attachedB)).toBeUndefined();
    for (const cms of [attachedT, detachedT]) {
      const stamp = signatureTimestampOf(cms)!;
      const ts = await tsVerify(stamp.token, stamp.signatureValue, rootPem);
      expect(ts.ok, ts.out).toBe(true);
    }
    // B-B: signing-time and signing-certificate-v2 among the signed attributes.
    const types = signerInfoOf(detachedB).signedAttrs!.attributes.map((a) => a.type);
    expect(types).toEqual(expect.arrayContaining(['1.2.840.113549.1.9.3', '1.2.840.113549.1.9.4', '1.2.840.113549.1.9.5', '1.2.840.113549.1.9.16.2.47']));

    // The SAD covered four documents: it is spent.
    const again = await signDoc(signer, { credentialID, SAD, documents: [entry(docs[0]!, 'Attached', 'AdES-B-B')] });
    expect(again.body).toEqual({ error: 'invalid_request', error_description: 'The SAD has been used for all the signatures it authorizes' });
  });

  it('Parallel: a second signer on an attached CMS; openssl verifies both signers over the content', async () => {
    const first = await newSigner();
    const firstCred = await credentialOf(first, 'ES256');
    const content = Buffer.from('a contract two parties sign\n');
    const entry = (document: Buffer, envelope: string, signAlgo: string) => ({ document: b64(document), signature_format: 'C', signed_envelope_property: envelope, signAlgo });
    const one = await signDoc(first, { credentialID: firstCred, SAD: await authorize(first, firstCred, [sha256(content)]), documents: [entry(content, 'Attached', ECDSA_SHA256)] });
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    const cms = Buffer.from(one.body.DocumentWithSignature[0], 'base64');

    const second = await newSigner();
    const secondCred = await credentialOf(second, 'RS256');
    // The SAD of the second signer binds the digest of the document it is given: the CMS.
    const two = await signDoc(second, { credentialID: secondCred, SAD: await authorize(second, secondCred, [sha256(cms)]), documents: [entry(cms, 'Parallel', RSA_SHA256)] });
    expect(two.status, JSON.stringify(two.body)).toBe(200);
    const both = Buffer.from(two.body.DocumentWithSignature[0], 'base64');
    const v = await cmsVerify(both, rootPem);
    expect(v.ok, v.out).toBe(true);
    expect(v.content.equals(content)).toBe(true);
    const ci = (await import('pkijs')).ContentInfo.fromBER(both);
    const sd = new (await import('pkijs')).SignedData({ schema: ci.content });
    expect(sd.signerInfos).toHaveLength(2);
    expect(sd.certificates).toHaveLength(3); // both end-entity certificates and the shared root, once

    // Parallel needs an attached CMS: a plain file is refused.
    const bad = await signDoc(second, { credentialID: secondCred, SAD: 'a.b.c', documents: [entry(content, 'Parallel', RSA_SHA256)] });
    expect(bad.status).toBe(400);
    expect(bad.body.error_description).toMatch(/^A Parallel CAdES signature needs a CMS SignedData as the document: /);
  });

  it('Detached from a digest (documentDigests, hashes as one string as in the spec example)', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'RS256');
    const document = Buffer.from('a file the application keeps to itself\n');
    const SAD = await authorize(signer, credentialID, [sha256(document)]);
    const res = await signDoc(signer, {
      credentialID,
      SAD,
      documentDigests: [{ hashes: b64(sha256(document)), hashAlgorithmOID: SHA256, signature_format: 'C', signAlgo: RSA_SHA256 }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const v = await cmsVerify(Buffer.from(res.body.SignatureObject[0], 'base64'), rootPem, document);
    expect(v.ok, v.out).toBe(true);
  });
});

describe('signatures/signDoc in asynchronous mode (CSC v2 §11.10 operationMode, §11.12)', () => {
  it('answers a responseID at once; signPolling then gives the detached CAdES signature once, which openssl verifies', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'ES256');
    const document = Buffer.from('signed later, collected by polling\n');
    const SAD = await authorize(signer, credentialID, [sha256(document)]);
    const accepted = await signDoc(signer, {
      credentialID,
      SAD,
      operationMode: 'A',
      documents: [{ document: b64(document), signature_format: 'C', signed_envelope_property: 'Detached', signAlgo: ECDSA_SHA256 }],
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(Object.keys(accepted.body)).toEqual(['responseID']);
    let polled;
    for (let i = 0; i < 100; i++) {
      polled = await csc(server, 'signatures/signPolling', { requestID: accepted.body.responseID }, { bearer: signer.token });
      if (polled.status !== 202) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(polled!.status, JSON.stringify(polled!.body)).toBe(200);
    expect(Object.keys(polled!.body)).toEqual(['SignatureObject']);
    const v = await cmsVerify(Buffer.from(polled!.body.SignatureObject[0], 'base64'), rootPem, document);
    expect(v.ok, v.out).toBe(true);
    const again = await csc(server, 'signatures/signPolling', { requestID: accepted.body.responseID }, { bearer: signer.token });
    expect(again.body).toEqual({ error: 'invalid_request', error_description: 'Invalid parameter requestID' });
  });
});

describe('signatures/signDoc, XAdES and JAdES (formats of rssp/signdoc/formats/xades.ts, jades.ts)', () => {
  const xml = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<invoice xmlns="urn:test:invoice" number="7"><line>Coffee</line></invoice>\n');

  it('XAdES Enveloped B-T: xmlsec1 verifies it under the development root', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'ES256');
    const res = await signDoc(signer, {
      credentialID, SAD: await authorize(signer, credentialID, [sha256(xml)]),
      documents: [{ document: b64(xml), signature_format: 'X', conformance_level: 'AdES-B-T', signAlgo: ECDSA_SHA256 }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const signed = Buffer.from(res.body.DocumentWithSignature[0], 'base64');
    const r = await run('xmlsec1', ['--verify', '--trusted-pem', tmpFile('root.pem', rootPem), tmpFile('signed.xml', signed)]).then(
      (o) => ({ ok: true, out: o.stderr }),
      (e: { stderr?: string }) => ({ ok: false, out: String(e.stderr) }),
    );
    expect(r.ok, r.out).toBe(true);
    expect(signed.toString()).toContain('SignatureTimeStamp');
  });

  it('JAdES Attached B-B: jose verifies the compact JWS under the certificate, the payload is the document', async () => {
    const signer = await newSigner();
    const credentialID = await credentialOf(signer, 'RS256');
    const res = await signDoc(signer, {
      credentialID, SAD: await authorize(signer, credentialID, [sha256(xml)]),
      documents: [{ document: b64(xml), signature_format: 'J', signAlgo: RSA_SHA256 }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const jws = Buffer.from(res.body.DocumentWithSignature[0], 'base64').toString('ascii');
    const info = await csc(server, 'credentials/info', { credentialID, certificates: 'single' }, { bearer: signer.token });
    const key = new X509Certificate(Buffer.from(info.body.cert.certificates[0], 'base64')).publicKey;
    const verified = await compactVerify(jws, key, { crit: { sigT: true, sigD: true } });
    expect(Buffer.from(verified.payload)).toEqual(xml);
    expect(verified.protectedHeader.alg).toBe('RS256');
  });
});

describe('signatures/signDoc with a credential-scoped OAuth token (CSC v2 §8.4)', () => {
  it('signs the document whose digest the token was issued for, without SAD, and refuses another', async () => {
    const s = await newOAuthSigner(server);
    const c = await admin(server, 'client:create', '--name', 'SignDoc App', '--redirect-uri', REDIRECT);
    expect(c.code, c.stderr).toBe(0);
    const client = { id: c.json.client_id as string, secret: c.json.client_secret as string };
    const document = Buffer.from('approved through the OAuth pages\n');
    const p = pkce();
    const params = {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256', state: 'd',
      scope: 'credential', credentialID: s.credentialID, numSignatures: '1', hashes: b64url(sha256(document)), hashAlgorithmOID: SHA256,
    };
    const out = await oauthAuthorize(new Agent(server), s, `${server.url}/oauth2/authorize?${new URLSearchParams(params)}`);
    expect(out.kind).toBe('callback');
    if (out.kind !== 'callback') return;
    const t = await token(server, client, { grant_type: 'authorization_code', code: out.params.get('code')!, redirect_uri: REDIRECT, code_verifier: p.verifier });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    const bearer = t.body.access_token as string;
    const entry = (d: Buffer) => ({ document: b64(d), signature_format: 'C', signed_envelope_property: 'Detached', signAlgo: ECDSA_SHA256 });

    const refused = await csc(server, 'signatures/signDoc', { credentialID: s.credentialID, documents: [entry(Buffer.from('another text\n'))] }, { bearer });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: 'invalid_hash', error_description: 'Document or documentDigest does not match authroized hash' });
    const res = await csc(server, 'signatures/signDoc', { credentialID: s.credentialID, documents: [entry(document)] }, { bearer });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const v = await cmsVerify(Buffer.from(res.body.SignatureObject[0], 'base64'), rootPem, document);
    expect(v.ok, v.out).toBe(true);
  });
});

describe('signatures/signDoc refusals', () => {
  let signer: Signer;
  let credentialID: string;
  const pdf = classicPdf();
  const base = (over: Record<string, unknown> = {}) => ({ document: b64(pdf), signature_format: 'P', signAlgo: ECDSA_SHA256, ...over });

  beforeAll(async () => {
    signer = await newSigner();
    credentialID = await credentialOf(signer, 'ES256');
  });

  const cases: Array<[string, () => Record<string, unknown>, number, string, string]> = [
    ['an unknown format', () => ({ documents: [base({ signature_format: 'Z' })] }), 400, 'invalid_request', 'Invalid parameter signature_format'],
    ['a missing format', () => ({ documents: [base({ signature_format: undefined })] }), 400, 'invalid_request', 'Missing (or invalid type) string parameter signature_format'],
    ['a level the format does not offer', () => ({ documents: [base({ conformance_level: 'AdES-B-LTA' })] }), 400, 'invalid_request',
      'Invalid parameter conformance_level: AdES-B-LTA is not offered (this service adds no archive timestamps)'],
    ['an unknown level', () => ({ documents: [base({ conformance_level: 'AdES-X' })] }), 400, 'invalid_request', 'Invalid parameter conformance_level'],
    ['an envelope the format does not offer', () => ({ documents: [base({ signed_envelope_property: 'Attached' })] }), 400, 'invalid_request', 'Invalid parameter signed_envelope_property'],
    ['CAdES Attached from a digest', () => ({ documentDigests: [{ hashes: [b64(sha256(pdf))], signature_format: 'C', signAlgo: ECDSA_SHA256, signed_envelope_property: 'Attached' }] }),
      400, 'invalid_request', 'Invalid parameter signed_envelope_property'],
    ['both documents and documentDigests', () => ({ documents: [base()], documentDigests: [{ hashes: [b64(sha256(pdf))], signature_format: 'P', signAlgo: ECDSA_SHA256 }] }),
      400, 'invalid_request', 'Both documentDigests and documents parameters passed'],
    ['neither documents nor documentDigests', () => ({}), 400, 'invalid_request', 'Empty documentDigests and documents objects'],
    ['an empty documents array', () => ({ documents: [] }), 400, 'invalid_request', 'Empty documentDigests and documents objects'],
    ['a document larger than SIGNDOC_MAX_DOCUMENT_BYTES', () => ({ documents: [base({ document: b64(Buffer.alloc(MAX_DOCUMENT + 1, 0x41)) })] }), 413, 'invalid_request',
      `Document 0 is larger than the ${MAX_DOCUMENT} bytes this service signs (SIGNDOC_MAX_DOCUMENT_BYTES)`],
    ['a malformed PDF', () => ({ documents: [base({ document: b64(Buffer.from('%PDF-1.7\nnot really a PDF')) })] }), 400, 'invalid_request',
      'The document is not a PDF that can be signed: no startxref: the file is truncated or not a PDF'],
    ['a document that is not base64', () => ({ documents: [base({ document: 'not base64!' })] }), 400, 'invalid_request', 'Invalid Base64 documents string parameter'],
    ['a digest that is not base64', () => ({ documentDigests: [{ hashes: ['***'], signature_format: 'C', signAlgo: ECDSA_SHA256, signed_envelope_property: 'Detached' }] }),
      400, 'invalid_request', 'Invalid Base64 hashes string parameter'],
    ['a digest of the wrong length', () => ({ documentDigests: [{ hashes: [b64(Buffer.alloc(20))], signature_format: 'C', signAlgo: ECDSA_SHA256, signed_envelope_property: 'Detached' }] }),
      400, 'invalid_request', 'Invalid digest value length'],
    ['an unknown signAlgo', () => ({ documents: [base({ signAlgo: '1.2.3.4' })] }), 400, 'invalid_request', 'Invalid parameter signAlgo'],
    ['a missing signAlgo', () => ({ documents: [base({ signAlgo: undefined })] }), 400, 'invalid_request', 'Missing (or invalid type) string parameter signAlgo'],
    ['a hashAlgorithmOID contradicting signAlgo', () => ({ documentDigests: [{ hashes: [b64(sha256(pdf))], hashAlgorithmOID: '2.16.840.1.101.3.4.2.3', signature_format: 'C', signAlgo: ECDSA_SHA256 }] }),
      400, 'invalid_request', 'String parameter hashAlgorithmOID contradicts with signAlgo parameter'],
    ['an unknown hashAlgorithmOID', () => ({ documentDigests: [{ hashes: [b64(sha256(pdf))], hashAlgorithmOID: '1.3.14.3.2.26', signature_format: 'C', signAlgo: ECDSA_SHA256 }] }),
      400, 'invalid_request', 'Invalid parameter hashAlgorithmOID'],
    ['a signed property the format does not take', () => ({ documents: [base({ signed_props: [{ attribute_name: 'Reason', attribute_value: 'eA==' }, { attribute_name: 'Colour', attribute_value: 'eA==' }] })] }),
      400, 'invalid_request', 'Invalid parameter signed_props (Colour)'],
    ['an unknown operationMode', () => ({ documents: [base()], operationMode: 'X' }), 400, 'invalid_request', 'Invalid parameter operationMode'],
    ['operationMode A with a validity_period of 0', () => ({ documents: [base()], operationMode: 'A', validity_period: 0 }), 400, 'invalid_request', 'Out of bounds parameter validity_period'],
    ['documents that is not an array', () => ({ documents: 'x' }), 400, 'invalid_request', 'Missing (or invalid type) array parameter documents'],
    ['an entry of documents that is not an object', () => ({ documents: ['x'] }), 400, 'invalid_request', 'Invalid array parameter documents'],
  ];
  for (const [what, body, status, error, description] of cases) {
    it(`refuses ${what}`, async () => {
      const res = await signDoc(signer, { credentialID, SAD: 'a.b.c', ...body() });
      expect(res.body).toEqual({ error, error_description: description });
      expect(res.status).toBe(status);
    });
  }

  it('refuses a request naming only a signatureQualifier, and one without SAD', async () => {
    const res = await signDoc(signer, { signatureQualifier: 'eu_eidas_qes', SAD: 'a.b.c', documents: [base()] });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: 'Missing (or invalid type) string parameter credentialID: this service does not choose a credential by signatureQualifier',
    });
    const noSad = await signDoc(signer, { credentialID, documents: [base()] });
    expect(noSad.body).toEqual({ error: 'invalid_request', error_description: 'Missing (or invalid type) string parameter SAD' });
  });

  it('refuses a document whose digest the SAD does not cover (403 invalid_hash), and the SAD stays usable for its own document', async () => {
    const mine = classicPdf('BT /F1 24 Tf 72 720 Td (The approved text) Tj ET');
    const other = classicPdf('BT /F1 24 Tf 72 720 Td (Something else) Tj ET');
    const SAD = await authorize(signer, credentialID, [sha256(mine)]);
    const res = await signDoc(signer, { credentialID, SAD, documents: [base({ document: b64(other) })] });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'invalid_hash', error_description: 'Document or documentDigest does not match authroized hash' });
    const ok = await signDoc(signer, { credentialID, SAD, documents: [base({ document: b64(mine), signed_envelope_property: 'Revision' })] });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expectValidPades(await pdfsig(Buffer.from(ok.body.DocumentWithSignature[0], 'base64'), nssDir));
  });

  it('is announced by info with its formats, envelopes and levels', async () => {
    const res = await csc(server, 'info', {});
    expect(res.body.methods).toContain('signatures/signDoc');
    expect(res.body.signature_formats).toEqual({
      formats: ['P', 'C', 'X', 'J'],
      envelope_properties: [['Certification', 'Revision'], ['Attached', 'Detached', 'Parallel'], ['Enveloped', 'Enveloping', 'Detached'], ['Attached', 'Detached']],
    });
    expect(res.body.conformance_levels).toEqual(['Ades-B-B', 'Ades-B-T', 'Ades-B-LT']);
    expect(res.body.validationInfo).toBe(true);
  });
});
