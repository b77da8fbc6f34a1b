// The client's CMS layer alone, with a throw-away key and self-signed certificate made by openssl: the signed
// attributes required by CAdES / PAdES B-B, the value handed to signHash, and a SignedData openssl accepts.
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OIDS, prepareSignerInfo, signatureAlgorithm } from '../../../client/cms/signed_data.ts';

const run = promisify(execFile);
let dir: string;
let certDer: Buffer;
let keyPem: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rssp-cms-'));
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-subj', '/CN=CMS Unit Signer', '-days', '2']);
  await run('openssl', ['x509', '-in', path.join(dir, 'cert.pem'), '-outform', 'DER', '-out', path.join(dir, 'cert.der')]);
  certDer = readFileSync(path.join(dir, 'cert.der'));
  keyPem = readFileSync(path.join(dir, 'key.pem'), 'utf8');
});


afterAll(() => rmSync(dir, { recursive: true, force: true }));

function attrsOf(cms: Uint8Array): Map<string, pkijs.Attribute> {
  const ci = pkijs.ContentInfo.fromBER(cms);
  expect(ci.contentType).toBe(OIDS.signedData);
  const sd = new pkijs.SignedData({ schema: ci.content });
  expect(sd.encapContentInfo.eContent).toBeUndefined(); // detached
  const si = sd.signerInfos[0]!;
  return new Map(si.signedAttrs!.attributes.map((a) => [a.type, a]));
}

describe('prepareSignerInfo', () => {
  const content = Buffer.from('the detached content');
  const contentDigest = createHash('sha256').update(content).digest();

  it('PAdES: content-type, message-digest and signing-certificate-v2, no signing-time; the hash to sign is SHA-256 of the DER SET', () => {
    const p = prepareSignerInfo({ chain: [certDer], scheme: { kind: 'ec', hash: 'sha256' }, contentDigest });
    expect(p.signedAttrsDer[0]).toBe(0x31); // a SET OF, as RFC 5652 §5.4 has it hashed
    expect(Buffer.from(p.toBeSigned).equals(createHash('sha256').update(p.signedAttrsDer).digest())).toBe(true);
    const sig = sign('sha256', p.signedAttrsDer, createPrivateKey(keyPem));
    const attrs = attrsOf(p.finish(sig));
    expect([...attrs.keys()].sort()).toEqual([OIDS.contentType, OIDS.messageDigest, OIDS.signingCertificateV2].sort());
    expect((attrs.get(OIDS.contentType)!.values[0] as asn1js.ObjectIdentifier).valueBlock.toString()).toBe(OIDS.data);
    expect(Buffer.from((attrs.get(OIDS.messageDigest)!.values[0] as asn1js.OctetString).valueBlock.valueHexView).equals(contentDigest)).toBe(true);
    // SigningCertificateV2 → certs[0] → ESSCertIDv2: hashAlgorithm omitted (SHA-256 default), certHash = SHA-256(cert).
    const essCertId = (attrs.get(OIDS.signingCertificateV2)!.values[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
    const first = (essCertId.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.OctetString;
    expect(first).toBeInstanceOf(asn1js.OctetString);
    expect(Buffer.from(first.valueBlock.valueHexView).equals(createHash('sha256').update(certDer).digest())).toBe(true);
  });

  it('CAdES: adds signing-time; openssl cms -verify accepts the SignedData over the detached content', async () => {
    const when = new Date(Date.UTC(2026, 10, 22, 12, 0, 0));
    const p = prepareSignerInfo({ chain: [certDer], scheme: { kind: 'ec', hash: 'sha256' }, contentDigest, signingTime: when });
    const cms = p.finish(sign('sha256', p.signedAttrsDer, createPrivateKey(keyPem)));
    const attrs = attrsOf(cms);
    expect((attrs.get(OIDS.signingTime)!.values[0] as asn1js.UTCTime).toDate().toISOString()).toBe(when.toISOString());
    writeFileSync(path.join(dir, 'content.bin'), content);
    writeFileSync(path.join(dir, 'sig.p7s'), cms);
    const { stderr } = await run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', path.join(dir, 'sig.p7s'), '-content', path.join(dir, 'content.bin'), '-CAfile', path.join(dir, 'cert.pem'), '-out', '/dev/null']);
    expect(stderr).toContain('Verification successful');
    // A wrong signature value is caught by the same verifier.
    const bad = p.finish(sign('sha256', Buffer.from('something else'), createPrivateKey(keyPem)));
    writeFileSync(path.join(dir, 'bad.p7s'), bad);
    await expect(run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', path.join(dir, 'bad.p7s'), '-content', path.join(dir, 'content.bin'), '-CAfile', path.join(dir, 'cert.pem'), '-out', '/dev/null'])).rejects.toThrow();
  });

  it('maps the scheme to signAlgo OIDs (CSC v2 §11.10) and PSS parameters', () => {
    expect(signatureAlgorithm({ kind: 'ec', hash: 'sha384' })).toEqual({ oid: '1.2.840.10045.4.3.3' });
    expect(signatureAlgorithm({ kind: 'rsa', hash: 'sha256' })).toEqual({ oid: '1.2.840.113549.1.1.11' });
    const pss = signatureAlgorithm({ kind: 'rsa', hash: 'sha256', pss: true });
    expect(pss.oid).toBe('1.2.840.113549.1.1.10');
    // The same DER as the README's example: SHA-256, MGF1-SHA-256, salt 32.
    expect(Buffer.from(pss.params!).toString('base64')).toBe('MDSgDzANBglghkgBZQMEAgEFAKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQMEAgEFAKIDAgEg');
  });
});
