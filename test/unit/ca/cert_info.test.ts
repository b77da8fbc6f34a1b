import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { describeCertificate, escapeValue, formatName, generalizedTime } from '../../../core/cert_info.ts';
import { ensureDevCa } from '../../../sam/ca/dev_ca.ts';
import { FakeHsm, memoryStore } from './fake_hsm.ts';
import { derOf, openssl, tempDir, writePem } from './openssl.ts';

function opensslCert(subj: string, serial: string): Uint8Array {
  const dir = tempDir();
  writeFileSync(join(dir, 'c.cnf'), '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=x\n');
  const r = openssl(
    ['req', '-x509', '-config', 'c.cnf', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-utf8', '-subj', subj, '-set_serial', serial, '-days', '1', '-out', 'c.pem'],
    dir,
  );
  expect(r.code).toBe(0);
  return derOf(readFileSync(join(dir, 'c.pem'), 'utf8'));
}

function opensslField(der: Uint8Array, flag: string): string {
  const r = openssl(['x509', '-in', writePem(tempDir(), 'c.pem', der), '-noout', flag, '-nameopt', 'RFC2253,-esc_msb']);
  expect(r.code).toBe(0);
  return r.stdout.trim().replace(/^[^=]+=/, '');
}

describe('describeCertificate (CSC v2 §11.5 cert/*)', () => {
  it('renders names as RFC 4514 strings: reversed RDNs, escapes, multi-valued RDNs, UTF-8', () => {
    const der = opensslCert('/C=DE/O=Example, Inc./OU=Unit A+UID=42/CN=Doe\\+Jane; "Jörg" <j>/emailAddress=j@example.org/title=#123 ', '0x0A1B2C3D');
    const info = describeCertificate(der);
    const expected = 'title=\\#123\\ ,emailAddress=j@example.org,CN=Doe\\+Jane\\; \\"Jörg\\" \\<j\\>,UID=42+OU=Unit A,O=Example\\, Inc.,C=DE';
    expect(info.subjectDN).toBe(expected);
    expect(info.issuerDN).toBe(expected);
    // OpenSSL's RFC 2253 printer (a superset of RFC 4514's rules here) agrees character for character.
    expect(opensslField(der, '-subject')).toBe(expected);
  });

  it('gives the serial number as upper-case hex of its value, without the DER sign octet', () => {
    expect(describeCertificate(opensslCert('/CN=a', '0x0A1B2C3D')).serialNumber).toBe('0A1B2C3D');
    const high = opensslCert('/CN=a', '0x80A1B2'); // DER 02 04 00 80 A1 B2
    expect(describeCertificate(high).serialNumber).toBe('80A1B2');
    expect(opensslField(high, '-serial')).toBe('80A1B2');
    expect(describeCertificate(opensslCert('/CN=a', '1')).serialNumber).toBe('01');
  });

  it('gives validity as GeneralizedTime strings, for UTCTime and GeneralizedTime encodings alike', async () => {
    // A root made in 2045 is valid until 2055: notBefore is encoded as UTCTime, notAfter as GeneralizedTime
    // (RFC 5280 §4.1.2.5).
    const ca = await ensureDevCa(new FakeHsm(), memoryStore(), { now: () => new Date('2045-03-04T05:06:07.890Z') });
    const info = describeCertificate(ca.certificate);
    expect(info.validFrom).toBe('20450304050507Z');
    expect(info.validTo).toBe('20550304050507Z');
    expect(opensslField(ca.certificate, '-startdate')).toBe('Mar  4 05:05:07 2045 GMT');
    expect(opensslField(ca.certificate, '-enddate')).toBe('Mar  4 05:05:07 2055 GMT');
    expect(Buffer.from(ca.certificate).includes(Buffer.from('20550304050507Z'))).toBe(true);
    expect(Buffer.from(ca.certificate).includes(Buffer.from('450304050507Z'))).toBe(true);
  });

  it('refuses bytes that are not one certificate', () => {
    expect(() => describeCertificate(new Uint8Array([1, 2, 3]))).toThrow('Not a DER-encoded X.509 certificate');
    const der = opensslCert('/CN=a', '1');
    expect(() => describeCertificate(der.subarray(0, der.length - 1))).toThrow('Not a DER-encoded X.509 certificate');
  });
});

describe('RFC 4514 details', () => {
  it('escapes the special characters, a leading space or #, a trailing space and NUL (RFC 4514 §2.4)', () => {
    expect(escapeValue('a,b+c"d\\e<f>g;h')).toBe('a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h');
    expect(escapeValue(' #x# ')).toBe('\\ #x#\\ ');
    expect(escapeValue('#')).toBe('\\#');
    expect(escapeValue(' ')).toBe('\\ ');
    expect(escapeValue('a\\ ')).toBe('a\\\\\\ ');
    expect(escapeValue('a\u0000b')).toBe('a\\00b');
    expect(escapeValue('a=b')).toBe('a=b');
  });

  it('writes attributes without a registered short name as OID=#hex of their BER', () => {
    const name = new Name([
      new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '1.2.3.4', value: new AttributeValue({ utf8String: 'abc' }) })]),
      new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ printableString: 'x' }) })]),
    ]);
    expect(formatName(name)).toBe('CN=x,1.2.3.4=#0c03616263');
    expect(formatName(new Uint8Array(AsnConvert.serialize(name)))).toBe('CN=x,1.2.3.4=#0c03616263');
  });

  it('drops fractions of a second in GeneralizedTime', () => {
    expect(generalizedTime(new Date('2030-12-31T23:59:59.999Z'))).toBe('20301231235959Z');
  });
});
