// Development TLS material of split mode (`npm run admin -- tls:dev`): a CA of its own and the two certificates of
// the channel between the api tier and the SAM, each usable for its side only (id-kp-serverAuth for the SAM,
// id-kp-clientAuth for the api). Software keys in PEM files: fine for a laboratory, while a trust service issues
// these from its own PKI and keeps the keys where its policy says.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Extensions,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  type Extension,
} from '@peculiar/asn1-x509';
import { randomBytes } from 'node:crypto';
import {
  authorityKeyIdentifier,
  basicConstraints,
  extendedKeyUsage,
  keyIdentifier,
  keyUsage,
  subjectAltNameHosts,
  subjectKeyIdentifier,
} from './x509_extensions.ts';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 86_400_000;

export type DevTls = {
  ca: string;
  sam: { cert: string; key: string };
  api: { cert: string; key: string };
};

type Issuer = { name: Name; key: KeyObject; spki: Uint8Array };

const cn = (commonName: string) =>
  new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: commonName }) })])]);

const pem = (label: string, der: Uint8Array) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;

function keyPair(): { key: KeyObject; spki: Uint8Array; pkcs8: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    key: privateKey,
    spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

function certificate(issuer: Issuer, subject: Name, spki: Uint8Array, days: number, extensions: Extension[], now: Date): Uint8Array {
  // A positive 16-byte serial (RFC 5280 §4.1.2.2: at most 20 octets, non-negative).
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const algorithm = new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serial.buffer.slice(serial.byteOffset, serial.byteOffset + serial.byteLength),
    signature: algorithm,
    issuer: issuer.name,
    validity: new Validity({ notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + days * DAY_MS) }),
    subject,
    subjectPublicKeyInfo: AsnConvert.parse(spki, SubjectPublicKeyInfo),
    extensions: new Extensions([...extensions, authorityKeyIdentifier(keyIdentifier(issuer.spki)), subjectKeyIdentifier(keyIdentifier(spki))]),
  });
  const signature = sign('sha256', new Uint8Array(AsnConvert.serialize(tbs)), issuer.key);
  const der = AsnConvert.serialize(new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: new Uint8Array(signature).buffer }));
  return new Uint8Array(der);
}

/**
 * A CA (its key is dropped: nothing more is issued under it) and the SAM's server and the api tier's client
 * certificates. `samHosts`: the names and addresses in SAM_URL that the api tier will check the SAM's certificate
 * against.
 */
export function makeDevTls(opts: { samHosts: string[]; days?: number; now?: Date }): DevTls {
  const now = opts.now ?? new Date();
  const days = opts.days ?? 825;
  const ca = keyPair();
  const caName = cn('RSSP split-mode development CA');
  const issuer: Issuer = { name: caName, key: ca.key, spki: ca.spki };
  const caCert = certificate(issuer, caName, ca.spki, days, [basicConstraints(true), keyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)], now);
  const leaf = (name: string, purpose: string, more: Extension[]) => {
    const k = keyPair();
    const der = certificate(issuer, cn(name), k.spki, days, [basicConstraints(false), keyUsage(KeyUsageFlags.digitalSignature), extendedKeyUsage([purpose]), ...more], now);
    return { cert: pem('CERTIFICATE', der), key: k.pkcs8 };
  };
  return {
    ca: pem('CERTIFICATE', caCert),
    sam: leaf('rssp-sam', SERVER_AUTH, [subjectAltNameHosts(opts.samHosts)]),
    api: leaf('rssp-api', CLIENT_AUTH, []),
  };
}
