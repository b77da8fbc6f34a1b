// XAdES (CSC v2 §11.11 signature_format "X", ETSI EN 319 132-1): every envelope, for an EC P-256 and an RSA
// signer, is verified by Debian's xmlsec1 against the test CA (certificate chain included, --trusted-pem), then
// read back for SigningTime and SigningCertificateV2. B-T tokens are checked with `openssl ts -verify` over the
// canonical ds:SignatureValue, written here by hand as Exclusive C14N renders it.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentFormatError } from '../../../rssp/signdoc/format.ts';
import { XADES_DETACHED_URI, XADES_SIGNED_PROPERTIES_TYPE, xades } from '../../../rssp/signdoc/formats/xades.ts';
import { MAX_DEPTH, NS, parseXml, type XElement } from '../../../rssp/signdoc/formats/xml_dom.ts';
import { makePki, OID, PSS_SHA256_PARAMS, signWith, type Pki } from './fixtures.ts';

const run = promisify(execFile);
// xml-crypto's declarations pull in the DOM library (see xml_dom.ts), so it is loaded untyped.
const { SignedXml } = createRequire(import.meta.url)('xml-crypto') as {
  SignedXml: new (o: { publicCert: string }) => { loadSignature(xml: string): void; checkSignature(xml: string): boolean };
};
let pki: Pki;
let n = 0;

const DOC = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?>\n<inv:invoice xmlns:inv="urn:test:invoice" xmlns:unused="urn:unused" number="42">\n' +
    '  <inv:line qty="2">Coffee &amp; tea</inv:line><!-- a comment -->\n  <note xmlns="urn:test:note"><![CDATA[1 < 2]]></note>\n</inv:invoice>\n',
);

beforeAll(async () => {
  pki = await makePki();
  writeFileSync(pki.file('document.xml'), DOC);
}, 60_000);
afterAll(() => pki?.cleanup());

/** xmlsec1 --verify with the test CA as the only trust anchor; the detached reference is mapped to `document`. */
async function xmlsec(bytes: Uint8Array, documentFile = pki.file('document.xml')) {
  const file = pki.file(`sig-${n++}.xml`);
  writeFileSync(file, bytes);
  const args = ['--verify', '--trusted-pem', pki.file('ca.pem'), '--url-map:' + XADES_DETACHED_URI, documentFile, file];
  try {
    const { stderr } = await run('xmlsec1', args);
    return { ok: true, output: stderr };
  } catch (err) {
    return { ok: false, output: String((err as { stderr?: string }).stderr) };
  }
}

function one(root: { getElementsByTagNameNS(ns: string, n: string): ArrayLike<XElement> }, ns: string, name: string): XElement {
  const found = root.getElementsByTagNameNS(ns, name);
  expect(found.length, `${name} elements`).toBe(1);
  return found[0]!;
}

/** Reads back what EN 319 132-1 §5.2 asks a verifier to find, and checks it against the signer. */
function assertSignedProperties(bytes: Uint8Array, certDer: Buffer) {
  const doc = parseXml(bytes);
  expect(one(doc, NS.xades, 'SigningTime').textContent).toBe('2026-12-03T10:20:30Z');
  const cert = one(doc, NS.xades, 'CertDigest');
  expect(one(cert, NS.ds, 'DigestMethod').getAttribute('Algorithm')).toBe('http://www.w3.org/2001/04/xmlenc#sha256');
  expect(one(cert, NS.ds, 'DigestValue').textContent).toBe(createHash('sha256').update(certDer).digest('base64'));
  // IssuerSerialV2 = DER IssuerSerial { GeneralNames { [4] issuer }, serialNumber } (RFC 5035 §4).
  const tbs = AsnConvert.parse(certDer, Certificate).tbsCertificate;
  const issuerSerial = asn1js.fromBER(Buffer.from(one(doc, NS.xades, 'IssuerSerialV2').textContent!, 'base64')).result as asn1js.Sequence;
  const [names, serial] = issuerSerial.valueBlock.value as [asn1js.Sequence, asn1js.Integer];
  const directoryName = names.valueBlock.value[0] as asn1js.Constructed;
  expect(directoryName.idBlock).toMatchObject({ tagClass: 3, tagNumber: 4 });
  expect(Buffer.from(directoryName.valueBlock.value[0]!.toBER())).toEqual(Buffer.from(AsnConvert.serialize(tbs.issuer)));
  expect(BigInt(`0x${Buffer.from(serial.valueBlock.valueHexView).toString('hex')}`)).toBe(BigInt(`0x${new X509Certificate(certDer).serialNumber}`));
  const refs = Array.from(one(doc, NS.ds, 'SignedInfo').getElementsByTagNameNS(NS.ds, 'Reference'));
  const props = refs.filter((r) => r.getAttribute('Type') === XADES_SIGNED_PROPERTIES_TYPE);
  expect(props).toHaveLength(1);
  expect(props[0]!.getAttribute('URI')).toBe(`#${one(doc, NS.xades, 'SignedProperties').getAttribute('Id')}`);
  return doc;
}

describe.each(['ec', 'rsa'] as const)('XAdES with the %s signer', (kind) => {
  it.each(['Enveloped', 'Enveloping', 'Detached'])('%s: xmlsec1 verifies it under the test CA', async (envelope) => {
    const s = pki[kind];
    const { out, prepared } = await signWith(xades, { document: DOC, envelope, level: 'AdES-B-B', signer: s.signer }, s.key, pki.services);
    expect(out.kind).toBe(envelope === 'Detached' ? 'SignatureObject' : 'DocumentWithSignature');
    const verdict = await xmlsec(out.bytes);
    expect(verdict.output).toContain('References (ok/all): 2/2');
    expect(verdict.ok).toBe(true);
    const doc = assertSignedProperties(out.bytes, s.certDer);
    // The DTBS/R is the canonical SignedInfo: the bytes the key signed are exactly the ones in the output.
    expect(Buffer.from(prepared.dtbsr).toString()).toMatch(/^<ds:SignedInfo xmlns:ds="http:\/\/www.w3.org\/2000\/09\/xmldsig#">/);
    expect(prepared.dtbsrHash).toEqual(new Uint8Array(createHash('sha256').update(prepared.dtbsr).digest()));
    const method = one(doc, NS.ds, 'SignatureMethod').getAttribute('Algorithm');
    expect(method).toBe(kind === 'ec' ? 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256' : 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    if (envelope === 'Enveloped') expect(doc.documentElement.localName).toBe('invoice');
    if (envelope === 'Enveloping') expect(one(doc, 'urn:test:invoice', 'invoice').getAttribute('number')).toBe('42');
    if (kind === 'ec') expect(Buffer.from(one(doc, NS.ds, 'SignatureValue').textContent!, 'base64')).toHaveLength(64);
  });
});

// What a parser normalises (CRLF line ends, character references in attributes, a UTF-8 BOM) and what exclusive
// C14N must render carefully (namespaces declared but unused, undeclared default, xml:* attributes, attribute
// order) must come out as xmlsec1's libxml2 reads the signed output.
it.each(['Enveloped', 'Enveloping'])('%s: documents a parser normalises still verify', async (envelope) => {
  const tricky = [
    '\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<r xmlns:p="urn:p" xmlns="urn:d" xml:lang="en">\r\n',
    '  <p:x p:attr="1" b="x&#9;y&#10;z&#13;" a="&lt;&amp;&quot;">line1\r\nline2\rline3 &#x20AC; &gt; ]]&gt;</p:x>\r\n',
    '  <y xmlns=""><z xml:space="preserve"> </z></y>\r\n</r>\r\n',
  ].join('');
  const s = pki.ec;
  const { out } = await signWith(xades, { document: Buffer.from(tricky), envelope, level: 'AdES-B-B', signer: s.signer }, s.key, pki.services);
  const verdict = await xmlsec(out.bytes);
  expect(verdict.output).toContain('References (ok/all): 2/2');
  expect(verdict.ok).toBe(true);
});

it('signs from the digest alone (documentDigests), detached, and xmlsec1 finds the document by its URI', async () => {
  const s = pki.ec;
  const digest = createHash('sha256').update(DOC).digest();
  const { out } = await signWith(xades, { documentDigest: digest, envelope: 'Detached', level: 'AdES-B-B', signer: s.signer }, s.key, pki.services);
  expect(out.kind).toBe('SignatureObject');
  expect((await xmlsec(out.bytes)).ok).toBe(true);
  const ref = Array.from(parseXml(out.bytes).getElementsByTagNameNS(NS.ds, 'Reference')).find((r) => !r.getAttribute('Type'))!;
  expect(ref.getAttribute('URI')).toBe(XADES_DETACHED_URI);
  expect(one(ref, NS.ds, 'DigestValue').textContent).toBe(digest.toString('base64'));
});

it('xmlsec1 refuses the signature once the document changes', async () => {
  const s = pki.rsa;
  const { out } = await signWith(xades, { document: DOC, envelope: 'Enveloped', level: 'AdES-B-B', signer: s.signer }, s.key, pki.services);
  const tampered = Buffer.from(out.bytes).toString().replace('number="42"', 'number="43"');
  const verdict = await xmlsec(Buffer.from(tampered));
  expect(verdict.ok).toBe(false);
  writeFileSync(pki.file('other.xml'), '<other/>');
  const detached = await signWith(xades, { document: DOC, envelope: 'Detached', level: 'AdES-B-B', signer: s.signer }, s.key, pki.services);
  expect((await xmlsec(detached.out.bytes, pki.file('other.xml'))).ok).toBe(false);
});

// Debian's xmlsec1 1.2.37 has no RSASSA-PSS (`xmlsec1 --list-transforms`: none), so this one is checked with
// xml-crypto's verifier, which resolves the references and canonicalises SignedInfo from the output on its own.
it('RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) is written as sha256-rsa-MGF1 and verifies', async () => {
  const s = pki.rsa;
  const signer = { ...s.signer, signAlgo: OID.pss, signAlgoParams: PSS_SHA256_PARAMS };
  const { out } = await signWith(xades, { document: DOC, envelope: 'Enveloping', level: 'AdES-B-B', signer }, s.key, pki.services);
  expect(one(parseXml(out.bytes), NS.ds, 'SignatureMethod').getAttribute('Algorithm')).toBe('http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1');
  const xml = Buffer.from(out.bytes).toString();
  const verify = (text: string) => {
    const verifier = new SignedXml({ publicCert: s.certPem });
    verifier.loadSignature(text);
    try {
      return verifier.checkSignature(text);
    } catch {
      return false;
    }
  };
  expect(verify(xml)).toBe(true);
  const tampered = xml.replace('Coffee &amp; tea', 'Coffee &amp; milk');
  expect(tampered).not.toBe(xml);
  expect(verify(tampered)).toBe(false);
  assertSignedProperties(out.bytes, s.certDer);
});

describe('AdES-B-T', () => {
  it.each(['Enveloped', 'Detached'])('%s: a SignatureTimeStamp over the canonical SignatureValue, verified by openssl ts', async (envelope) => {
    const s = pki.ec;
    const before = pki.tsa.issued;
    const { out } = await signWith(xades, { document: DOC, envelope, level: 'AdES-B-T', signer: s.signer }, s.key, pki.services);
    expect(pki.tsa.issued).toBe(before + 1);
    expect((await xmlsec(out.bytes)).ok).toBe(true);
    const doc = assertSignedProperties(out.bytes, s.certDer);
    const value = one(doc, NS.ds, 'SignatureValue');
    const canonical = `<ds:SignatureValue xmlns:ds="${NS.ds}" Id="${value.getAttribute('Id')}">${value.textContent}</ds:SignatureValue>`;
    const imprint = createHash('sha256').update(canonical).digest();
    expect(pki.tsa.lastImprint).toEqual(imprint);
    const stamp = one(one(one(doc, NS.xades, 'UnsignedProperties'), NS.xades, 'UnsignedSignatureProperties'), NS.xades, 'SignatureTimeStamp');
    expect(one(stamp, NS.ds, 'CanonicalizationMethod').getAttribute('Algorithm')).toBe('http://www.w3.org/2001/10/xml-exc-c14n#');
    writeFileSync(pki.file('stamp.tst'), Buffer.from(one(stamp, NS.xades, 'EncapsulatedTimeStamp').textContent!, 'base64'));
    const verified = await pki.openssl('ts', '-verify', '-digest', imprint.toString('hex'), '-in', pki.file('stamp.tst'), '-token_in',
      '-CAfile', pki.file('ca.pem'), '-untrusted', pki.file('tsa.pem'));
    expect(verified.stdout).toContain('Verification: OK');
  });
});

describe('refusals (DocumentFormatError, answered 400 invalid_request by the action)', () => {
  const base = () => ({ level: 'AdES-B-B' as const, signer: pki.ec.signer, signedProps: [], signingTime: new Date(), documentDigest: new Uint8Array(32) });
  const refused = (input: Partial<Parameters<typeof xades.prepare>[0]>, message: RegExp) =>
    expect(xades.prepare({ ...base(), envelope: 'Enveloped', ...input })).rejects.toThrow(
      expect.objectContaining({ name: 'DocumentFormatError', message: expect.stringMatching(message) }),
    );

  it('malformed XML, in both envelopes that parse the document', async () => {
    for (const envelope of ['Enveloped', 'Enveloping']) {
      await refused({ envelope, document: Buffer.from('<a><b></a>') }, /^malformed XML: /);
      await refused({ envelope, document: Buffer.from('not xml at all') }, /^malformed XML: no root element$/);
      await refused({ envelope, document: Buffer.from('<a/><b/>') }, /^malformed XML: /);
      await refused({ envelope, document: Buffer.from('<a x="1" x="2"/>') }, /^malformed XML: /);
    }
    await expect(xades.prepare({ ...base(), envelope: 'Enveloped', document: Buffer.from('<a>') })).rejects.toBeInstanceOf(DocumentFormatError);
  });

  it('a DOCTYPE, a processing instruction, a non-UTF-8 document', async () => {
    await refused({ document: Buffer.from('<!DOCTYPE a><a/>') }, /^XML documents with a DOCTYPE are not accepted$/);
    await refused({ document: Buffer.from('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>') }, /^malformed XML: entity not found/);
    await refused({ document: Buffer.from('<a><?php echo 1 ?></a>') }, /processing instructions/);
    await refused({ document: Buffer.from('<a>x&#13;y</a>') }, /carriage return/);
    await refused({ document: Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a/>') }, /must be UTF-8/);
    await refused({ document: Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]) }, /not valid UTF-8/);
  });

  it('a nesting deeper than MAX_DEPTH, whether or not the parser survives it', async () => {
    for (const depth of [MAX_DEPTH + 1, 100_000]) {
      await refused({ document: Buffer.from('<a>'.repeat(depth) + '</a>'.repeat(depth)) }, /nests deeper than 1000 elements/);
    }
    const ok = await xades.prepare({ ...base(), envelope: 'Enveloped', document: Buffer.from('<a>'.repeat(MAX_DEPTH) + '</a>'.repeat(MAX_DEPTH)) });
    expect(ok.dtbsr.length).toBeGreaterThan(0);
  });

  it('an unknown envelope, and an enveloping signature of a digest alone', async () => {
    await refused({ envelope: 'Attached', document: DOC }, /^XAdES has no envelope Attached$/);
    await refused({ envelope: 'Enveloping' }, /needs the document itself/);
    await refused({ envelope: 'Detached', documentDigest: new Uint8Array(20) }, /wrong length/);
  });

  it('an RSASSA-PSS shape XMLDSig cannot name', async () => {
    const pss20 = Buffer.from(PSS_SHA256_PARAMS);
    pss20[pss20.length - 1] = 20; // salt 20 instead of 32
    await refused({ signer: { ...pki.rsa.signer, signAlgo: OID.pss, signAlgoParams: pss20 }, document: DOC }, /RSASSA-PSS/);
  });
});
