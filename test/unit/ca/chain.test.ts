import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { p256 } from '@noble/curves/nist.js';
import { describeCertificate } from '../../../core/cert_info.ts';
import { checkChain } from '../../../sam/ca/chain.ts';
import { createCsr } from '../../../sam/ca/csr.ts';
import { ensureDevCa } from '../../../sam/ca/dev_ca.ts';
import { FakeHsm, memoryStore } from './fake_hsm.ts';
import { derOf, openssl, tempDir, writePem } from './openssl.ts';

const CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_int]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_ee]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
[v3_ca_no_certsign]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature
`;

function run(dir: string, args: string[]): void {
  const r = openssl(args, dir);
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

function read(dir: string, name: string): Uint8Array {
  return derOf(readFileSync(join(dir, name), 'utf8'));
}

type Fixture = {
  spki: Uint8Array;
  otherSpki: Uint8Array;
  ee: Uint8Array; // EE (our key, P-256) issued by int (EC P-384, ecdsa-with-SHA384)
  eeRsa: Uint8Array; // EE (our key) issued directly by root (RSA, sha256WithRSAEncryption)
  eeByFakeInt: Uint8Array; // EE issued by a CA named like int but holding another key
  eeByNonCa: Uint8Array; // EE issued by a certificate with CA:FALSE
  eeByNoCertSign: Uint8Array; // EE issued by a CA whose keyUsage lacks keyCertSign
  eeOther: Uint8Array; // EE for a different key, issued by int
  int: Uint8Array; // intermediate (EC P-384) issued by root with RSASSA-PSS
  fakeInt: Uint8Array;
  nonCa: Uint8Array;
  noCertSign: Uint8Array;
  root: Uint8Array; // RSA-2048 root, self-signed
};

let f: Fixture;

beforeAll(async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'ca.cnf'), CONFIG);
  const cfg = ['-config', 'ca.cnf'];
  const newCa = (name: string, keyArgs: string[], subj: string) =>
    run(dir, ['req', '-new', ...cfg, ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-subj', subj, '-out', `${name}.csr`]);
  const sign = (csr: string, out: string, ca: string, ext: string, extra: string[] = []) =>
    run(dir, ['x509', '-req', '-in', csr, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '30', '-extfile', 'ca.cnf', '-extensions', ext, ...extra, '-out', out]);

  run(dir, ['req', '-x509', ...cfg, '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-subj', '/O=Ext Trust/CN=Ext Root', '-days', '60', '-extensions', 'v3_ca', '-out', 'root.pem']);
  const ec384 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'];
  newCa('int', ec384, '/O=Ext Trust/CN=Ext Intermediate');
  sign('int.csr', 'int.pem', 'root', 'v3_int', ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32']);
  newCa('fakeint', ec384, '/O=Ext Trust/CN=Ext Intermediate');
  sign('fakeint.csr', 'fakeint.pem', 'root', 'v3_int');
  newCa('nonca', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=Not A CA');
  sign('nonca.csr', 'nonca.pem', 'root', 'v3_ee');
  newCa('nocertsign', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=No Cert Sign');
  sign('nocertsign.csr', 'nocertsign.pem', 'root', 'v3_ca_no_certsign');

  // The end-entity key is a credential key; its request comes from createCsr, as in production.
  const hsm = new FakeHsm();
  const pair = await hsm.generateKeyPair({ algo: 'EC-P256', label: 'cred' });
  const other = await hsm.generateKeyPair({ algo: 'EC-P256', label: 'other' });
  writePem(dir, 'ee.csr', await createCsr(hsm, { ...pair, algo: 'EC-P256' }, { commonName: 'Alice Example' }), 'CERTIFICATE REQUEST');
  writePem(dir, 'other.csr', await createCsr(hsm, { ...other, algo: 'EC-P256' }, { commonName: 'Mallory' }), 'CERTIFICATE REQUEST');
  sign('ee.csr', 'ee.pem', 'int', 'v3_ee', ['-sha384']);
  sign('ee.csr', 'ee_rsa.pem', 'root', 'v3_ee', ['-sha256']);
  sign('ee.csr', 'ee_fakeint.pem', 'fakeint', 'v3_ee');
  sign('ee.csr', 'ee_nonca.pem', 'nonca', 'v3_ee');
  sign('ee.csr', 'ee_nocertsign.pem', 'nocertsign', 'v3_ee');
  sign('other.csr', 'ee_other.pem', 'int', 'v3_ee');

  f = {
    spki: pair.spki,
    otherSpki: other.spki,
    ee: read(dir, 'ee.pem'),
    eeRsa: read(dir, 'ee_rsa.pem'),
    eeByFakeInt: read(dir, 'ee_fakeint.pem'),
    eeByNonCa: read(dir, 'ee_nonca.pem'),
    eeByNoCertSign: read(dir, 'ee_nocertsign.pem'),
    eeOther: read(dir, 'ee_other.pem'),
    int: read(dir, 'int.pem'),
    fakeInt: read(dir, 'fakeint.pem'),
    nonCa: read(dir, 'nonca.pem'),
    noCertSign: read(dir, 'nocertsign.pem'),
    root: read(dir, 'root.pem'),
  };
});

function refusal(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
  throw new Error('expected a refusal');
}

describe('checkChain', () => {
  it('accepts EE → intermediate (ECDSA P-384) → root (RSASSA-PSS) and returns the end-entity validity', () => {
    const got = checkChain([f.ee, f.int, f.root], f.spki);
    const info = describeCertificate(f.ee);
    const gt = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:T]/g, '');
    expect([gt(got.notBefore), gt(got.notAfter)]).toEqual([info.validFrom, info.validTo]);
    expect(got.notAfter.getTime() - got.notBefore.getTime()).toBe(30 * 86_400_000);
  });

  it('accepts a chain cut short of the root, and a single certificate', () => {
    expect(() => checkChain([f.ee, f.int], f.spki)).not.toThrow();
    expect(() => checkChain([f.ee], f.spki)).not.toThrow();
  });

  it('accepts an RSA PKCS#1 v1.5 issuer', () => {
    expect(() => checkChain([f.eeRsa, f.root], f.spki)).not.toThrow();
  });

  it('accepts a chain from the development CA', async () => {
    const hsm = new FakeHsm();
    const ca = await ensureDevCa(hsm, memoryStore());
    for (const algo of ['EC-P384', 'RSA-3072'] as const) {
      const pair = await hsm.generateKeyPair({ algo, label: algo });
      const ee = await ca.issue({ spki: pair.spki, subject: { commonName: 'Carol' } });
      expect(checkChain([ee, ca.certificate], pair.spki).notAfter).toBeInstanceOf(Date);
    }
  });

  it('compares keys, not encodings: the same EC key with a compressed point matches', () => {
    const info = AsnConvert.parse(f.spki, SubjectPublicKeyInfo);
    const point = p256.Point.fromBytes(new Uint8Array(info.subjectPublicKey));
    info.subjectPublicKey = point.toBytes(true).slice().buffer;
    const compressed = new Uint8Array(AsnConvert.serialize(info));
    expect(compressed.length).toBeLessThan(f.spki.length);
    expect(() => checkChain([f.ee, f.int, f.root], compressed)).not.toThrow();
  });

  it('refuses a chain for another key', () => {
    expect(refusal(() => checkChain([f.eeOther, f.int, f.root], f.spki))).toEqual({
      code: 'SAM_CERT_MISMATCH',
      message: "SAM_CERT_MISMATCH: the end-entity certificate is not for the credential's key",
    });
    expect(refusal(() => checkChain([f.ee, f.int, f.root], f.otherSpki)).code).toBe('SAM_CERT_MISMATCH');
  });

  it('refuses certificates in the wrong order', () => {
    expect(refusal(() => checkChain([f.ee, f.root, f.int], f.spki))).toEqual({
      code: 'SAM_CERT_CHAIN_INVALID',
      message: 'SAM_CERT_CHAIN_INVALID: certificate 0 is not issued by certificate 1 (issuer and subject names differ); certificates must be end-entity first',
    });
    expect(refusal(() => checkChain([f.int, f.ee, f.root], f.spki)).code).toBe('SAM_CERT_MISMATCH');
  });

  it('refuses a tampered certificate', () => {
    const tampered = f.ee.slice();
    const at = Buffer.from(tampered).indexOf('Alice Example');
    expect(at).toBeGreaterThan(0);
    tampered[at] = 'E'.charCodeAt(0); // "Elice Example": still well-formed, no longer what the CA signed
    expect(refusal(() => checkChain([tampered, f.int, f.root], f.spki))).toEqual({
      code: 'SAM_CERT_CHAIN_INVALID',
      message: 'SAM_CERT_CHAIN_INVALID: certificate 0 is not signed by certificate 1: signature does not verify',
    });
    const tamperedInt = f.int.slice();
    tamperedInt[Buffer.from(tamperedInt).indexOf('Ext Intermediate')] = 'F'.charCodeAt(0);
    // The intermediate's subject changed, so the EE no longer names it, and its own signature is broken too.
    expect(refusal(() => checkChain([f.ee, tamperedInt, f.root], f.spki)).code).toBe('SAM_CERT_CHAIN_INVALID');
  });

  it('refuses an issuer that has the right name but another key', () => {
    expect(refusal(() => checkChain([f.ee, f.fakeInt, f.root], f.spki))).toEqual({
      code: 'SAM_CERT_CHAIN_INVALID',
      message: 'SAM_CERT_CHAIN_INVALID: certificate 0 is not signed by certificate 1: signature does not verify',
    });
    expect(refusal(() => checkChain([f.eeByFakeInt, f.int, f.root], f.spki)).message).toBe(
      'SAM_CERT_CHAIN_INVALID: certificate 0 is not signed by certificate 1: signature does not verify',
    );
  });

  it('refuses an issuer that is not a CA, or may not sign certificates', () => {
    expect(refusal(() => checkChain([f.eeByNonCa, f.nonCa, f.root], f.spki))).toEqual({
      code: 'SAM_CERT_CHAIN_INVALID',
      message: 'SAM_CERT_CHAIN_INVALID: certificate 1 is not a CA certificate (basicConstraints cA is not true)',
    });
    expect(refusal(() => checkChain([f.eeByNoCertSign, f.noCertSign, f.root], f.spki))).toEqual({
      code: 'SAM_CERT_CHAIN_INVALID',
      message: 'SAM_CERT_CHAIN_INVALID: certificate 1 may not sign certificates (keyUsage lacks keyCertSign)',
    });
  });

  it('refuses an empty list, bytes that are not a certificate, and trailing garbage', () => {
    expect(refusal(() => checkChain([], f.spki))).toEqual({
      code: 'SAM_CERT_CHAIN_INVALID',
      message: 'SAM_CERT_CHAIN_INVALID: the certificate list is empty',
    });
    expect(refusal(() => checkChain([f.ee, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])], f.spki))).toEqual({
      code: 'SAM_CERT_CHAIN_INVALID',
      message: 'SAM_CERT_CHAIN_INVALID: certificate 1 is not a DER X.509 certificate',
    });
    const trailing = new Uint8Array([...f.ee, 0x00]);
    expect(refusal(() => checkChain([trailing], f.spki)).message).toBe(
      'SAM_CERT_CHAIN_INVALID: certificate 0 is not a DER X.509 certificate',
    );
  });
});
