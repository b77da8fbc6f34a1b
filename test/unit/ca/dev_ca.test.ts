import { X509Certificate as NodeX509 } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  Certificate,
  CertificatePolicies,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_certificatePolicies,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { describeCertificate } from '../../../core/cert_info.ts';
import type { KeyAlgo } from '../../../core/sam_port.ts';
import { DEV_CA_LABEL, ensureDevCa } from '../../../sam/ca/dev_ca.ts';
import { FakeHsm, memoryStore, softwareKey } from './fake_hsm.ts';
import { openssl, tempDir, writePem } from './openssl.ts';

const KEY_ALGOS: KeyAlgo[] = ['EC-P256', 'EC-P384', 'RSA-2048', 'RSA-3072'];
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

function spkiOf(algo: KeyAlgo): Uint8Array {
  return new Uint8Array(softwareKey(algo).publicKey.export({ format: 'der', type: 'spki' }));
}

function parse(der: Uint8Array): Certificate {
  return AsnConvert.parse(der, Certificate);
}

function extensionValue(der: Uint8Array, oid: string): ArrayBuffer | undefined {
  return parse(der).tbsCertificate.extensions?.find((e) => e.extnID === oid)?.extnValue.buffer;
}

function ski(der: Uint8Array): string {
  return Buffer.from(AsnConvert.parse(extensionValue(der, id_ce_subjectKeyIdentifier)!, SubjectKeyIdentifier).buffer).toString('hex');
}

function opensslText(der: Uint8Array): string {
  const dir = tempDir();
  const r = openssl(['x509', '-in', writePem(dir, 'c.pem', der), '-noout', '-text']);
  expect(r.code).toBe(0);
  return r.stdout;
}

describe('development CA root', () => {
  it('is a self-signed EC P-256 root with the agreed name and extensions, stored under its label', async () => {
    const hsm = new FakeHsm();
    const store = memoryStore();
    const ca = await ensureDevCa(hsm, store);

    expect(hsm.generated).toBe(1);
    const pair = await hsm.findKeyPair(DEV_CA_LABEL);
    expect(pair).not.toBeNull();
    expect(store.map.get(DEV_CA_LABEL)).toEqual(ca.certificate);

    const root = new NodeX509(ca.certificate);
    expect(root.subject).toBe('O=RSSP development — not for production\nCN=RSSP Development CA');
    expect(root.issuer).toBe(root.subject);
    expect(root.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(Buffer.from(root.publicKey.export({ format: 'der', type: 'spki' }))).toEqual(Buffer.from(pair!.spki));

    const text = opensslText(ca.certificate);
    expect(text).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    expect(text).toMatch(/X509v3 Subject Key Identifier:\s*\n\s+([0-9A-F]{2}:){19}[0-9A-F]{2}\n/);
  });

  it('is valid for 10 years from one minute before creation', async () => {
    const ca = await ensureDevCa(new FakeHsm(), memoryStore(), { now: () => new Date('2030-01-02T03:04:05.678Z') });
    const info = describeCertificate(ca.certificate);
    expect(info.validFrom).toBe('20300102030305Z');
    expect(info.validTo).toBe('20400102030305Z');
    expect(info.subjectDN).toBe('CN=RSSP Development CA,O=RSSP development — not for production');
    expect(info.issuerDN).toBe(info.subjectDN);
  });

  it('takes the common name from the options when it creates the root', async () => {
    const ca = await ensureDevCa(new FakeHsm(), memoryStore(), { label: 'other-ca', commonName: 'Acme Test CA' });
    expect(describeCertificate(ca.certificate).subjectDN).toBe('CN=Acme Test CA,O=RSSP development — not for production');
  });

  it('finds the key and the stored root on the next start instead of creating new ones', async () => {
    const hsm = new FakeHsm();
    const store = memoryStore();
    const first = await ensureDevCa(hsm, store);
    const second = await ensureDevCa(hsm, store);
    expect(Buffer.from(second.certificate)).toEqual(Buffer.from(first.certificate));
    expect(hsm.generated).toBe(1);
    expect(store.puts).toBe(1);
  });

  it('re-creates the root for the same key when the store lost it, and old certificates still chain', async () => {
    const hsm = new FakeHsm();
    const store = memoryStore();
    const first = await ensureDevCa(hsm, store);
    const ee = await first.issue({ spki: spkiOf('EC-P256'), subject: { commonName: 'Alice' } });
    store.map.clear();
    const second = await ensureDevCa(hsm, store);
    expect(hsm.generated).toBe(1);
    expect(Buffer.from(second.certificate)).not.toEqual(Buffer.from(first.certificate));
    expect(store.map.get(DEV_CA_LABEL)).toEqual(second.certificate);
    expect(new NodeX509(ee).verify(new NodeX509(second.certificate).publicKey)).toBe(true);
  });

  it('creates a new key and root when the token lost the key', async () => {
    const store = memoryStore();
    const first = await ensureDevCa(new FakeHsm(), store);
    const fresh = new FakeHsm();
    const second = await ensureDevCa(fresh, store);
    expect(fresh.generated).toBe(1);
    expect(store.map.get(DEV_CA_LABEL)).toEqual(second.certificate);
    expect(new NodeX509(second.certificate).publicKey.equals(new NodeX509(first.certificate).publicKey)).toBe(false);
  });

  it('refuses a stored root that is not for the key in the HSM', async () => {
    const store = memoryStore();
    await ensureDevCa(new FakeHsm(), store);
    const other = new FakeHsm();
    await other.generateKeyPair({ algo: 'EC-P256', label: DEV_CA_LABEL });
    await expect(ensureDevCa(other, store)).rejects.toMatchObject({
      code: 'SAM_CERT_MISMATCH',
      message: "SAM_CERT_MISMATCH: the stored certificate of CA 'rssp-dev-ca' is not for the key with that label in the HSM",
    });
  });

  it('stores nothing when the HSM returns a signature that does not verify', async () => {
    const hsm = new FakeHsm();
    hsm.corrupt = true;
    const store = memoryStore();
    await expect(ensureDevCa(hsm, store)).rejects.toMatchObject({ code: 'SAM_SIGNATURE_VERIFY_FAILED' });
    expect(store.puts).toBe(0);
  });
});

describe('development CA end-entity certificates', () => {
  it.each(KEY_ALGOS)('certifies a %s key for signing, chaining to the root (openssl verify)', async (algo) => {
    const hsm = new FakeHsm();
    const ca = await ensureDevCa(hsm, memoryStore());
    const spki = spkiOf(algo);
    const der = await ca.issue({ spki, subject: { commonName: 'Alice Example', email: 'alice@example.org' } });

    const dir = tempDir();
    const rootPath = writePem(dir, 'root.pem', ca.certificate);
    const eePath = writePem(dir, 'ee.pem', der);
    const verified = openssl(['verify', '-CAfile', rootPath, eePath]);
    expect(verified.stdout.trim()).toBe(`${eePath}: OK`);
    expect(verified.code).toBe(0);

    const ee = new NodeX509(der);
    const root = new NodeX509(ca.certificate);
    expect(ee.verify(root.publicKey)).toBe(true);
    expect(ee.checkIssued(root)).toBe(true);
    expect(ee.ca).toBe(false);
    expect(ee.subject).toBe('CN=Alice Example\nemailAddress=alice@example.org');
    expect(ee.subjectAltName).toBe('email:alice@example.org');
    expect(Buffer.from(ee.publicKey.export({ format: 'der', type: 'spki' }))).toEqual(Buffer.from(spki));

    const text = opensslText(der);
    expect(text).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation\n/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE\n/);

    expect(parse(der).signatureAlgorithm.algorithm).toBe(ECDSA_WITH_SHA256);
    const aki = AsnConvert.parse(extensionValue(der, id_ce_authorityKeyIdentifier)!, AuthorityKeyIdentifier);
    expect(ski(der)).toMatch(/^[0-9a-f]{40}$/);
    expect(Buffer.from(aki.keyIdentifier!.buffer).toString('hex')).toBe(ski(ca.certificate));
    expect(ski(der)).not.toBe(ski(ca.certificate));
    const serial = Buffer.from(parse(der).tbsCertificate.serialNumber);
    expect(serial.length).toBe(16);
    expect(serial[0]! & 0x80).toBe(0);
    expect(serial[0]).not.toBe(0);
  });

  it('leaves out emailAddress and subjectAltName without an email', async () => {
    const ca = await ensureDevCa(new FakeHsm(), memoryStore());
    const der = await ca.issue({ spki: spkiOf('EC-P256'), subject: { commonName: 'Bob' } });
    const ee = new NodeX509(der);
    expect(ee.subject).toBe('CN=Bob');
    expect(ee.subjectAltName).toBeUndefined();
    expect(describeCertificate(der).issuerDN).toBe(describeCertificate(ca.certificate).subjectDN);
  });

  it('names the legal person of an e-seal: organizationName then commonName, most general first, no personal name', async () => {
    const ca = await ensureDevCa(new FakeHsm(), memoryStore());
    const der = await ca.issue({ spki: spkiOf('EC-P256'), subject: { organization: 'Example Widgets SA', commonName: 'Example Widgets SA' } });
    expect(new NodeX509(der).subject).toBe('O=Example Widgets SA\nCN=Example Widgets SA');
    const text = opensslText(der);
    expect(text).toMatch(/Subject: O\s?=\s?Example Widgets SA, CN\s?=\s?Example Widgets SA\n/);
    await expect(ca.issue({ spki: spkiOf('EC-P256'), subject: { organization: ' ', commonName: 'x' } })).rejects.toThrow('organization must have 1 to 64 characters');
  });

  it('is valid for 825 days from one minute in the past by default, or for validityDays', async () => {
    const ca = await ensureDevCa(new FakeHsm(), memoryStore(), { now: () => new Date('2030-01-02T03:04:05.678Z') });
    const def = describeCertificate(await ca.issue({ spki: spkiOf('EC-P256'), subject: { commonName: 'A' } }));
    expect([def.validFrom, def.validTo]).toEqual(['20300102030305Z', '20320406030305Z']);
    const short = describeCertificate(await ca.issue({ spki: spkiOf('EC-P256'), subject: { commonName: 'A' }, validityDays: 2 }));
    expect([short.validFrom, short.validTo]).toEqual(['20300102030305Z', '20300104030305Z']);
  });

  it('never outlives the root', async () => {
    let now = new Date('2030-01-02T03:04:05Z');
    const ca = await ensureDevCa(new FakeHsm(), memoryStore(), { now: () => now });
    now = new Date('2039-06-01T00:00:00Z');
    const info = describeCertificate(await ca.issue({ spki: spkiOf('EC-P256'), subject: { commonName: 'A' } }));
    expect(info.validTo).toBe(describeCertificate(ca.certificate).validTo);
  });

  it('gives every certificate its own serial number', async () => {
    const ca = await ensureDevCa(new FakeHsm(), memoryStore());
    const spki = spkiOf('EC-P256');
    const a = describeCertificate(await ca.issue({ spki, subject: { commonName: 'A' } }));
    const b = describeCertificate(await ca.issue({ spki, subject: { commonName: 'A' } }));
    expect(a.serialNumber).not.toBe(b.serialNumber);
  });

  it('refuses keys the SAM does not use and malformed subjects', async () => {
    const ca = await ensureDevCa(new FakeHsm(), memoryStore());
    const { generateKeyPairSync } = await import('node:crypto');
    const ed = new Uint8Array(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }));
    const rsa1024 = new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }));
    const subject = { commonName: 'A' };
    await expect(ca.issue({ spki: ed, subject })).rejects.toThrow('subject key must be EC P-256/P-384 or RSA 2048/3072');
    await expect(ca.issue({ spki: rsa1024, subject })).rejects.toThrow('subject key must be EC P-256/P-384 or RSA 2048/3072');
    await expect(ca.issue({ spki: new Uint8Array([1, 2, 3]), subject })).rejects.toThrow('Not a DER SubjectPublicKeyInfo');
    const spki = spkiOf('EC-P256');
    await expect(ca.issue({ spki, subject: { commonName: ' ' } })).rejects.toThrow('commonName must have 1 to 64 characters');
    await expect(ca.issue({ spki, subject: { commonName: 'x'.repeat(65) } })).rejects.toThrow('commonName must have 1 to 64 characters');
    await expect(ca.issue({ spki, subject: { commonName: 'A', email: 'jörg@example.org' } })).rejects.toThrow('email must be an ASCII address');
    await expect(ca.issue({ spki, subject, validityDays: 0 })).rejects.toThrow('validityDays must be a positive integer');
  });

  it('does not hand out a certificate whose signature does not verify', async () => {
    const hsm = new FakeHsm();
    const ca = await ensureDevCa(hsm, memoryStore());
    hsm.corrupt = true;
    await expect(ca.issue({ spki: spkiOf('EC-P256'), subject: { commonName: 'A' } })).rejects.toMatchObject({
      code: 'SAM_SIGNATURE_VERIFY_FAILED',
      message: 'SAM_SIGNATURE_VERIFY_FAILED: HSM signature over a certificate structure: signature does not verify',
    });
  });

  it('names the one certificate policy asked for, non-critical, when the CA issues under it (RFC 5280 §4.2.1.4)', async () => {
    const QCP_N_QSCD = '0.4.0.194112.1.2';
    const ca = await ensureDevCa(new FakeHsm(), memoryStore(), { certificatePolicies: [QCP_N_QSCD, '0.4.0.194112.1.0'] });
    expect(ca.certificatePolicies).toEqual([QCP_N_QSCD, '0.4.0.194112.1.0']);
    const der = await ca.issue({ spki: spkiOf('EC-P256'), subject: { commonName: 'A' }, certificatePolicy: QCP_N_QSCD });
    const ext = parse(der).tbsCertificate.extensions!.find((e) => e.extnID === id_ce_certificatePolicies)!;
    expect(ext.critical).toBe(false);
    const policies = AsnConvert.parse(ext.extnValue.buffer, CertificatePolicies);
    expect(policies.map((p) => [p.policyIdentifier, p.policyQualifiers])).toEqual([[QCP_N_QSCD, undefined]]);
    expect(opensslText(der)).toMatch(/X509v3 Certificate Policies:\s+Policy: 0\.4\.0\.194112\.1\.2\n/);
    // Without one asked for, no extension; one the CA does not issue under is refused, whatever it is.
    expect(extensionValue(await ca.issue({ spki: spkiOf('EC-P256'), subject: { commonName: 'A' } }), id_ce_certificatePolicies)).toBeUndefined();
    await expect(ca.issue({ spki: spkiOf('EC-P256'), subject: { commonName: 'A' }, certificatePolicy: '1.2.3.4' })).rejects.toMatchObject({
      code: 'SAM_CREDENTIAL_POLICY_INVALID',
      detail: 'the CA does not issue under certificate policy 1.2.3.4',
    });
    const none = await ensureDevCa(new FakeHsm(), memoryStore());
    await expect(none.issue({ spki: spkiOf('EC-P256'), subject: { commonName: 'A' }, certificatePolicy: QCP_N_QSCD })).rejects.toMatchObject({
      code: 'SAM_CREDENTIAL_POLICY_INVALID',
    });
  });

  it('signs with the CA key only: one HSM signature per certificate, ECDSA with SHA-256', async () => {
    const hsm = new FakeHsm();
    const ca = await ensureDevCa(hsm, memoryStore());
    const before = hsm.signCalls;
    const der = await ca.issue({ spki: spkiOf('RSA-2048'), subject: { commonName: 'A' } });
    expect(hsm.signCalls - before).toBe(1);
    const cert = parse(der);
    expect(cert.signatureAlgorithm.algorithm).toBe(ECDSA_WITH_SHA256);
    expect(cert.signatureAlgorithm.parameters).toBeUndefined();
  });
});
