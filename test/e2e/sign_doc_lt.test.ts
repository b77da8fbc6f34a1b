// signatures/signDoc at AdES-B-LT (CSC v2 §11.11) against the service as its own process on SoftHSM and PostgreSQL:
// the development CA's CRL verifies under the root (openssl crl), a CAdES B-LT signature carries the chain, the TSA's
// certificate and the CRL in its SignedData and verifies with `openssl cms -verify -crl_check`, a PAdES B-LT PDF passes
// pdfsig and has a /DSS whose streams are those certificates and that CRL, XAdES (xmlsec1) and JAdES (jose) carry them
// in their unsigned properties, returnValidationInfo returns them (also from a digest, and through signPolling), and
// B-LTA is refused with its exact wording.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { flattenedVerify } from 'jose';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PdfDict, PdfRef } from '../../client/pdf/objects.ts';
import { PdfDocument } from '../../client/pdf/reader.ts';
import { preparePdfSignature } from '../../client/pdf/signature_update.ts';
import { classicPdf, xrefStreamPdf } from '../unit/client/pdf_fixtures.ts';
import { cmsOfPdf, nssDbTrusting, pdfsig, signatureTimestampOf, tsVerify } from './ades_verify.ts';
import { csc, login, newCredential, newUser, pem, type Server, startServer, tmpFile, totp } from './harness.ts';

const run = promisify(execFile);
const SHA256 = '2.16.840.1.101.3.4.2.1';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';

let server: Server;
let rootPem: string;
let rootB64: string;
let nssDir: string;

type Signer = { username: string; otpSecret: string; token: string };

async function newSigner(): Promise<Signer & { credentialID: string; chain: string[] }> {
  const { username, otpSecret } = await newUser(server, 'lt', (username) => ({ name: 'Lena Signer', email: `${username}@example.org` }));
  const token = await login(server, username);
  const credentialID = await newCredential(server, username, { algo: 'ES256', pin: '123456', multisign: 4 });
  const info = await csc(server, 'credentials/info', { credentialID, certificates: 'chain' }, { bearer: token });
  return { username, otpSecret, token, credentialID, chain: info.body.cert.certificates };
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

async function authorize(signer: Signer & { credentialID: string }, digests: Uint8Array[]): Promise<string> {
  const res = await csc(server, 'credentials/authorize', {
    credentialID: signer.credentialID, numSignatures: digests.length, hashes: digests.map(b64), hashAlgorithmOID: SHA256,
    authData: [{ id: 'PIN', value: '123456' }, { id: 'OTP', value: await totp(signer.otpSecret) }],
  }, { bearer: signer.token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.SAD;
}

/** `openssl crl -verify` under the root: the CRL's issuer and signature. */
async function crlVerifies(crlB64: string): Promise<string> {
  const { stderr, stdout } = await run('openssl', ['crl', '-noout', '-text', '-verify', '-in', tmpFile('ca.crl', pem(crlB64, 'X509 CRL')), '-CAfile', tmpFile('root.pem', rootPem)]);
  return stderr + stdout;
}

/** The certificates and CRLs of a CMS SignedData, base64 DER. */
function signedDataValues(cms: Uint8Array): { certificates: string[]; crls: string[] } {
  const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(cms).content });
  return {
    certificates: (sd.certificates ?? []).map((c) => b64(new Uint8Array(c.toSchema().toBER()))),
    crls: (sd.crls ?? []).map((c) => b64(new Uint8Array((c as pkijs.CertificateRevocationList).toSchema().toBER()))),
  };
}

/** The certificates (DER) a TimeStampToken carries. */
function tokenCertificates(token: Uint8Array): string[] {
  const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(token).content });
  return (sd.certificates ?? []).map((c) => b64(new Uint8Array(c.toSchema().toBER())));
}

/** The /DSS of a PDF read back: its /Certs and /CRLs streams, base64. */
function dssOf(pdf: Uint8Array): { certificates: string[]; crls: string[] } {
  const doc = new PdfDocument(pdf);
  const catalog = doc.resolve(doc.root) as PdfDict;
  const dss = doc.resolve(catalog.get('DSS'));
  expect(dss).toBeInstanceOf(PdfDict);
  const text = Buffer.from(pdf).toString('latin1');
  const stream = (ref: unknown) => {
    const num = (ref as PdfRef).num;
    const at = text.lastIndexOf(`\n${num} 0 obj\n`);
    const m = /^<<\/Length (\d+)>>\nstream\n/.exec(text.slice(at + `\n${num} 0 obj\n`.length));
    const start = at + `\n${num} 0 obj\n`.length + m![0].length;
    return Buffer.from(text.slice(start, start + Number(m![1])), 'latin1').toString('base64');
  };
  const list = (key: string) => ((doc.resolve((dss as PdfDict).get(key)) as unknown[]) ?? []).map(stream);
  return { certificates: list('Certs'), crls: list('CRLs') };
}

beforeAll(async () => {
  server = await startServer({});
  const signer = await newSigner();
  rootB64 = signer.chain[signer.chain.length - 1]!;
  rootPem = pem(rootB64);
  nssDir = await nssDbTrusting(rootPem);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('signatures/signDoc, AdES-B-LT', () => {
  it('CAdES Detached: the SignedData carries the chain, the TSA certificate and the CRL, and openssl verifies it with -crl_check', async () => {
    const signer = await newSigner();
    const document = Buffer.from('a contract to be validated in ten years\n');
    const SAD = await authorize(signer, [sha256(document)]);
    const res = await csc(server, 'signatures/signDoc', {
      credentialID: signer.credentialID, SAD, returnValidationInfo: true,
      documents: [{ document: b64(document), signature_format: 'C', conformance_level: 'AdES-B-LT', signed_envelope_property: 'Detached', signAlgo: ECDSA_SHA256 }],
    }, { bearer: signer.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body)).toEqual(['SignatureObject', 'validationInfo']);
    const cms = Buffer.from(res.body.SignatureObject[0], 'base64');
    const stamp = signatureTimestampOf(cms)!;
    expect((await tsVerify(stamp.token, stamp.signatureValue, rootPem)).ok).toBe(true);
    const tsaCerts = tokenCertificates(stamp.token);
    expect(tsaCerts).toHaveLength(1);

    const values = signedDataValues(cms);
    expect(values.certificates).toEqual([...signer.chain, ...tsaCerts]);
    expect(values.crls).toHaveLength(1);
    expect(await crlVerifies(values.crls[0]!)).toContain('verify OK');
    expect(res.body.validationInfo).toEqual({ certificates: [...signer.chain, ...tsaCerts], crl: values.crls });

    const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', tmpFile('lt.p7s', cms), '-content', tmpFile('doc.txt', document),
      '-CAfile', tmpFile('root.pem', rootPem), '-crl_check', '-out', '/dev/null'];
    const { stderr } = await run('openssl', args, { timeout: 10_000 });
    expect(stderr).toContain('Verification successful');
    // Without its CRL the same check fails: the CRL inside is what -crl_check used.
    const bare = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(cms).content });
    bare.crls = [];
    const stripped = new Uint8Array(new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: bare.toSchema(true) }).toSchema().toBER());
    const failed = await run('openssl', [...args.slice(0, 6), tmpFile('bare.p7s', stripped), ...args.slice(7)], { timeout: 10_000 }).then(() => 'verified', (e: { stderr: string }) => e.stderr);
    expect(failed).toContain('unable to get certificate CRL');
  });

  it.each([
    ['Certification', 'a cross-reference table', classicPdf],
    ['Revision', 'a cross-reference stream', xrefStreamPdf],
  ] as const)('PAdES %s from the document (%s): pdfsig accepts it and its /DSS holds the chain, the TSA certificate and the CRL', async (envelope, _xref, make) => {
    const signer = await newSigner();
    const pdf = make();
    const SAD = await authorize(signer, [sha256(pdf)]);
    const res = await csc(server, 'signatures/signDoc', {
      credentialID: signer.credentialID, SAD,
      documents: [{ document: b64(pdf), signature_format: 'P', conformance_level: 'Ades-B-LT', signed_envelope_property: envelope, signAlgo: ECDSA_SHA256 }],
    }, { bearer: signer.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body)).toEqual(['DocumentWithSignature']);
    const signed = Buffer.from(res.body.DocumentWithSignature[0], 'base64');
    const out = await pdfsig(signed, nssDir);
    expect(out).toContain('- Signature Validation: Signature is Valid.');
    expect(out).toContain('- Certificate Validation: Certificate is Trusted.');
    // The DSS update comes after the signed revision: the signature covers all but the last update.
    expect(out).not.toContain('- Total document signed');
    expect(signed.subarray(0, pdf.length).equals(pdf)).toBe(true);
    const stamp = signatureTimestampOf(cmsOfPdf(signed))!;
    const dss = dssOf(signed);
    expect(dss.certificates).toEqual([...signer.chain, ...tokenCertificates(stamp.token)]);
    expect(dss.crls).toHaveLength(1);
    expect(await crlVerifies(dss.crls[0]!)).toContain('verify OK');
  });

  it('PAdES from a digest with returnValidationInfo: the CMS to embed, and validationInfo with the certificates and the CRL', async () => {
    const signer = await newSigner();
    const prepared = preparePdfSignature(xrefStreamPdf(), { signingTime: new Date(), contentsSize: 32_768 });
    const digest = sha256(prepared.signedBytes());
    const SAD = await authorize(signer, [digest]);
    const res = await csc(server, 'signatures/signDoc', {
      credentialID: signer.credentialID, SAD, returnValidationInfo: true,
      documentDigests: [{ hashes: [b64(digest)], hashAlgorithmOID: SHA256, signature_format: 'P', conformance_level: 'AdES-B-LT', signAlgo: ECDSA_SHA256 }],
    }, { bearer: signer.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body)).toEqual(['SignatureObject', 'validationInfo']);
    const signed = prepared.embed(Buffer.from(res.body.SignatureObject[0], 'base64'));
    expect(await pdfsig(signed, nssDir)).toContain('- Signature Validation: Signature is Valid.');
    const stamp = signatureTimestampOf(cmsOfPdf(signed))!;
    const info = res.body.validationInfo;
    expect(Object.keys(info).sort()).toEqual(['certificates', 'crl']);
    expect(info.certificates).toEqual([...signer.chain, ...tokenCertificates(stamp.token)]);
    expect(info.certificates[info.certificates.length - 2]).toBe(rootB64);
    expect(info.crl).toHaveLength(1);
    const text = await crlVerifies(info.crl[0]);
    expect(text).toContain('verify OK');
    expect(text).toContain('No Revoked Certificates.');
  });

  it('asynchronously: signPolling returns the signature with its validationInfo', async () => {
    const signer = await newSigner();
    const document = Buffer.from('signed later, validated later\n');
    const SAD = await authorize(signer, [sha256(document)]);
    const accepted = await csc(server, 'signatures/signDoc', {
      credentialID: signer.credentialID, SAD, operationMode: 'A', returnValidationInfo: true,
      documents: [{ document: b64(document), signature_format: 'C', conformance_level: 'AdES-B-LT', signed_envelope_property: 'Attached', signAlgo: ECDSA_SHA256 }],
    }, { bearer: signer.token });
    expect(Object.keys(accepted.body)).toEqual(['responseID']);
    let polled;
    for (let i = 0; i < 100; i++) {
      polled = await csc(server, 'signatures/signPolling', { requestID: accepted.body.responseID }, { bearer: signer.token });
      if (polled.status !== 202) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(polled!.status, JSON.stringify(polled!.body)).toBe(200);
    expect(Object.keys(polled!.body).sort()).toEqual(['DocumentWithSignature', 'validationInfo']);
    const values = signedDataValues(Buffer.from(polled!.body.DocumentWithSignature[0], 'base64'));
    expect(polled!.body.validationInfo).toEqual({ certificates: values.certificates, crl: values.crls });
  });

  it('XAdES Enveloped: CertificateValues and RevocationValues after the time-stamp; xmlsec1 verifies it and the signer certificate passes openssl -crl_check against the CRL', async () => {
    const signer = await newSigner();
    const xml = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<invoice xmlns="urn:test:invoice" number="8"><line>Tea</line></invoice>\n');
    const SAD = await authorize(signer, [sha256(xml)]);
    const res = await csc(server, 'signatures/signDoc', {
      credentialID: signer.credentialID, SAD, returnValidationInfo: true,
      documents: [{ document: b64(xml), signature_format: 'X', conformance_level: 'AdES-B-LT', signAlgo: ECDSA_SHA256 }],
    }, { bearer: signer.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const signed = Buffer.from(res.body.DocumentWithSignature[0], 'base64').toString();
    const values = (tag: string) => [...signed.matchAll(new RegExp(`<xades:${tag}>([^<]+)</xades:${tag}>`, 'g'))].map((m) => m[1]!);
    const token = Buffer.from(values('EncapsulatedTimeStamp')[0]!, 'base64');
    expect(values('EncapsulatedX509Certificate')).toEqual([...signer.chain, ...tokenCertificates(token)]);
    expect(values('EncapsulatedCRLValue')).toEqual(res.body.validationInfo.crl);
    expect(signed.indexOf('</xades:SignatureTimeStamp><xades:CertificateValues>')).toBeGreaterThan(0);
    expect(signed).toContain('</xades:CertificateValues><xades:RevocationValues><xades:CRLValues>');
    expect(await crlVerifies(values('EncapsulatedCRLValue')[0]!)).toContain('verify OK');
    const { stderr } = await run('xmlsec1', ['--verify', '--trusted-pem', tmpFile('root.pem', rootPem), tmpFile('signed.xml', signed)], { timeout: 10_000 });
    expect(stderr).toContain('OK');
    // This xmlsec1 takes no CRL: openssl checks the signer's certificate against the embedded one instead.
    const leaf = await run('openssl', ['verify', '-crl_check', '-CAfile', tmpFile('root.pem', rootPem), '-CRLfile', tmpFile('x.crl', pem(values('EncapsulatedCRLValue')[0]!, 'X509 CRL')),
      tmpFile('leaf.pem', pem(signer.chain[0]!))]);
    expect(leaf.stdout).toContain(': OK');
  });

  it('JAdES Attached: flattened JSON whose etsiU holds sigTst, xVals and rVals; jose verifies it under the certificate', async () => {
    const signer = await newSigner();
    const document = Buffer.from('{"order":9}');
    const SAD = await authorize(signer, [sha256(document)]);
    const res = await csc(server, 'signatures/signDoc', {
      credentialID: signer.credentialID, SAD, returnValidationInfo: true,
      documents: [{ document: b64(document), signature_format: 'J', conformance_level: 'AdES-B-LT', signed_envelope_property: 'Attached', signAlgo: ECDSA_SHA256 }],
    }, { bearer: signer.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const jws = JSON.parse(Buffer.from(res.body.DocumentWithSignature[0], 'base64').toString('utf8'));
    const key = new X509Certificate(Buffer.from(signer.chain[0]!, 'base64')).publicKey;
    const verified = await flattenedVerify(jws, key, { crit: { sigT: true } });
    expect(Buffer.from(verified.payload)).toEqual(document);
    const [tst, x, r] = jws.header.etsiU;
    const token = Buffer.from(tst.sigTst.tstTokens[0].val, 'base64');
    expect(x.xVals.map((v: { x509Cert: { val: string } }) => v.x509Cert.val)).toEqual([...signer.chain, ...tokenCertificates(token)]);
    expect(r.rVals.crlVals.map((v: { val: string }) => v.val)).toEqual(res.body.validationInfo.crl);
    expect(await crlVerifies(r.rVals.crlVals[0].val)).toContain('verify OK');
  });

  it('refuses AdES-B-LTA: no archive timestamps', async () => {
    const signer = await newSigner();
    const res = await csc(server, 'signatures/signDoc', {
      credentialID: signer.credentialID, SAD: 'x',
      documents: [{ document: b64(Buffer.from('x')), signature_format: 'C', conformance_level: 'AdES-B-LTA', signAlgo: ECDSA_SHA256 }],
    }, { bearer: signer.token });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Invalid parameter conformance_level: AdES-B-LTA is not offered (this service adds no archive timestamps)' } });
  });

  it('names GET /ca/crl as the CRL distribution point of its certificates, where a relying party gets the CRL that openssl verifies', async () => {
    const signer = await newSigner();
    const leaf = new X509Certificate(Buffer.from(signer.chain[0]!, 'base64'));
    const { stdout: ext } = await run('openssl', ['x509', '-noout', '-ext', 'crlDistributionPoints', '-in', tmpFile('leaf.pem', leaf.toString())]);
    const crlUrl = `http://localhost:${server.env.PORT}/ca/crl`;
    expect(ext).toContain(`URI:${crlUrl}`);
    const res = await fetch(`${server.url}/ca/crl`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/pkix-crl']);
    const der = Buffer.from(await res.arrayBuffer());
    expect(await crlVerifies(der.toString('base64'))).toContain('verify OK');
    const { stdout } = await run('openssl', ['verify', '-crl_check', '-CAfile', tmpFile('root.pem', rootPem), '-CRLfile', tmpFile('dp.crl', pem(der.toString('base64'), 'X509 CRL')), tmpFile('leaf.pem', leaf.toString())]);
    expect(stdout.trim()).toMatch(/: OK$/);
    const post = await fetch(`${server.url}/ca/crl`, { method: 'POST' });
    expect([post.status, post.headers.get('allow'), await post.json()]).toEqual([405, 'GET, HEAD', { error: 'invalid_request', error_description: 'Only GET and HEAD are allowed here' }]);
  });

  it('info offers AdES-B-LT', async () => {
    const res = await csc(server, 'info', {});
    expect(res.body.conformance_levels).toEqual(['Ades-B-B', 'Ades-B-T', 'Ades-B-LT']);
    expect(res.body.validationInfo).toBe(true);
  });
});
