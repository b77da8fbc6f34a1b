// What the XAdES and JAdES tests share: a test CA with an EC P-256 and an RSA signer, a software "SAM" that signs
// the DTBS/R exactly as the real one signs its hash (DER Ecdsa-Sig-Value for ECDSA, PKCS#1 octets for RSA), and a
// real RFC 3161 TSA (`openssl ts -reply` with a TSA certificate of the test CA, as test/e2e/external_tsa.test.ts).
import { execFile } from 'node:child_process';
import { constants, createHash, createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HASHES } from '../../../core/algorithms.ts';
import type { FinishServices, FormatInput, SignatureFormat, Signer } from '../../../rssp/signdoc/format.ts';

const run = promisify(execFile);

export const OID = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  rsaSha256: '1.2.840.113549.1.1.11',
  pss: '1.2.840.113549.1.1.10',
};

/** DER RSASSA-PSS-params: SHA-256, MGF1-SHA-256, salt 32, trailer 1 (RFC 4055 §3.1). */
export const PSS_SHA256_PARAMS = Buffer.from(
  '3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120',
  'hex',
);

export type TestSigner = { signer: Signer; key: KeyObject; certPem: string; certDer: Buffer };

export type Pki = {
  dir: string;
  file(name: string): string;
  openssl(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  caPem: string;
  ec: TestSigner;
  rsa: TestSigner;
  services: FinishServices;
  /** How many tokens the TSA issued, and the last imprint it was asked for. */
  tsa: { issued: number; lastImprint?: Buffer };
  cleanup(): void;
};

export async function makePki(): Promise<Pki> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rssp-signdoc-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file('ca.key'));
  await openssl('req', '-x509', '-new', '-key', file('ca.key'), '-subj', '/CN=signDoc test CA', '-days', '2', '-out', file('ca.pem'));
  writeFileSync(file('ee.cnf'), 'keyUsage=critical,digitalSignature,nonRepudiation\n');
  writeFileSync(file('tsa.ext'), 'extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n');

  async function issue(name: string, keyArgs: string[], ext: string): Promise<void> {
    await openssl(...keyArgs, '-out', file(`${name}.key`));
    await openssl('req', '-new', '-key', file(`${name}.key`), '-subj', `/CN=signDoc ${name}/O=Test`, '-out', file(`${name}.csr`));
    await openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-days', '2', '-extfile', file(ext), '-out', file(`${name}.pem`));
  }
  await issue('ec', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'ee.cnf');
  await issue('rsa', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], 'ee.cnf');
  await issue('tsa', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'tsa.ext');
  writeFileSync(file('serial'), '01\n');
  writeFileSync(
    file('tsa.cnf'),
    [
      '[ tsa ]', 'default_tsa = tsa1', '[ tsa1 ]', `serial = ${file('serial')}`, 'crypto_device = builtin', `signer_cert = ${file('tsa.pem')}`,
      `signer_key = ${file('tsa.key')}`, 'signer_digest = sha256', 'default_policy = 1.3.6.1.4.1.99999.3161.1',
      'digests = sha256, sha384, sha512', 'accuracy = secs:1', 'ordering = no', 'tsa_name = no', 'ess_cert_id_alg = sha256', '',
    ].join('\n'),
  );

  const signerOf = (name: 'ec' | 'rsa', signAlgo: string): TestSigner => {
    const certPem = readFileSync(file(`${name}.pem`), 'utf8');
    const certDer = pemToDer(certPem);
    const caDer = pemToDer(readFileSync(file('ca.pem'), 'utf8'));
    return {
      signer: { certificates: [certDer, caDer], signAlgo, hashAlgorithmOID: OID.sha256 },
      key: createPrivateKey(readFileSync(file(`${name}.key`))),
      certPem,
      certDer,
    };
  };

  const tsa: Pki['tsa'] = { issued: 0 };
  const services: FinishServices = {
    async timestamp(hash, hashAlgorithmOID) {
      const h = HASHES[hashAlgorithmOID]!.node;
      const id = randomBytes(4).toString('hex');
      await openssl('ts', '-query', '-digest', Buffer.from(hash).toString('hex'), `-${h}`, '-cert', '-out', file(`${id}.tsq`));
      await openssl('ts', '-reply', '-config', file('tsa.cnf'), '-queryfile', file(`${id}.tsq`), '-token_out', '-out', file(`${id}.tst`));
      tsa.issued++;
      tsa.lastImprint = Buffer.from(hash);
      return new Uint8Array(readFileSync(file(`${id}.tst`)));
    },
    // B-LT is tested end to end with the SAM's CRL (test/e2e/sign_doc_lt.test.ts); this PKI publishes none.
    async crl() {
      throw new Error('the unit test PKI publishes no CRL');
    },
  };

  return {
    dir,
    file,
    openssl,
    caPem: readFileSync(file('ca.pem'), 'utf8'),
    ec: signerOf('ec', OID.ecdsaSha256),
    rsa: signerOf('rsa', OID.rsaSha256),
    services,
    tsa,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** What the SAM does with the DTBS/R hash, done here over the DTBS/R itself with a software key. */
export function samSign(dtbsr: Uint8Array, signer: Signer, key: KeyObject): Uint8Array {
  const hash = HASHES[signer.hashAlgorithmOID]!;
  if (signer.signAlgo === OID.pss) {
    return sign(hash.node, dtbsr, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hash.length });
  }
  return sign(hash.node, dtbsr, key);
}

/** prepare → sign as the SAM would → finish. */
export async function signWith(
  format: SignatureFormat,
  input: Omit<FormatInput, 'documentDigest' | 'signedProps' | 'signingTime'> & Partial<FormatInput>,
  key: KeyObject,
  services: FinishServices,
) {
  const full: FormatInput = {
    signedProps: [],
    signingTime: new Date('2026-12-03T10:20:30.456Z'),
    documentDigest: createHash(HASHES[input.signer.hashAlgorithmOID]!.node).update(input.document ?? Buffer.alloc(0)).digest(),
    ...input,
  };
  const prepared = await format.prepare(full);
  const value = samSign(prepared.dtbsr, input.signer, key);
  const out = await prepared.finish(value, services);
  return { prepared, out, input: full };
}
