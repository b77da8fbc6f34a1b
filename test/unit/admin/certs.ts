// Real X.509 certificates for the admin tests, built with the asn1 layer and node:crypto (the @peculiar/x509
// convenience layer needs a reflect-metadata polyfill that the project does not ship).
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { toPem } from '../../../admin/pem.ts';

export type Keys = { publicKey: KeyObject; privateKey: KeyObject };

export const keyPair = (): Keys => generateKeyPairSync('ec', { namedCurve: 'P-256' });

export const spkiOf = (k: Keys) => new Uint8Array(k.publicKey.export({ type: 'spki', format: 'der' }));

const name = (cn: string) =>
  new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: cn }) })])]);

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';

/** DER certificate of `subject` for the key `spki`, signed by `issuer` (self-signed when absent). */
export function certificate(subject: string, subjectKeys: Keys | Uint8Array, issuer?: { name: string; keys: Keys }): Uint8Array {
  const spki = subjectKeys instanceof Uint8Array ? subjectKeys : spkiOf(subjectKeys);
  const signer = issuer?.keys ?? (subjectKeys as Keys);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array([0x01, ...randomBytes(7)]).buffer,
    signature: new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 }),
    issuer: name(issuer?.name ?? subject),
    validity: new Validity({ notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) }),
    subject: name(subject),
    subjectPublicKeyInfo: AsnConvert.parse(spki, SubjectPublicKeyInfo),
  });
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), signer.privateKey);
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 }),
    signatureValue: new Uint8Array(signature).buffer,
  });
  return new Uint8Array(AsnConvert.serialize(cert));
}

export const certPem = (der: Uint8Array) => toPem('CERTIFICATE', der);

export function parse(der: Uint8Array) {
  return AsnConvert.parse(der, Certificate);
}

export function subjectCN(der: Uint8Array): string {
  return parse(der).tbsCertificate.subject[0]![0]!.value.toString();
}

export function spkiOfCert(der: Uint8Array): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(parse(der).tbsCertificate.subjectPublicKeyInfo));
}
