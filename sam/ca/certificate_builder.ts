// Assembles an X.509 v3 certificate (RFC 5280 §4.1) whose signature comes from a key in the HSM.
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Extensions, SubjectPublicKeyInfo, TBSCertificate, Validity, Version, type Extension, type Name } from '@peculiar/asn1-x509';
import type { KeyAlgo } from '../../core/sam_port.ts';
import type { Hsm } from '../hsm/hsm.ts';
import { signWithHsm } from './hsm_signer.ts';
import { randomSerial } from './serial.ts';
import { signingAlgorithmFor } from './signature_algorithm.ts';

export type IssuerKey = { keyId: string; spki: Uint8Array; algo: KeyAlgo };

export async function buildCertificate(
  hsm: Hsm,
  issuerKey: IssuerKey,
  parts: { issuer: Name; subject: Name; spki: Uint8Array; notBefore: Date; notAfter: Date; extensions: Extension[] },
): Promise<Uint8Array> {
  const algorithm = signingAlgorithmFor(issuerKey.algo);
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: arrayBuffer(randomSerial()),
    signature: algorithm.identifier,
    issuer: parts.issuer,
    validity: new Validity({ notBefore: parts.notBefore, notAfter: parts.notAfter }),
    subject: parts.subject,
    subjectPublicKeyInfo: AsnConvert.parse(parts.spki, SubjectPublicKeyInfo),
    extensions: new Extensions(parts.extensions),
  });
  const tbs = new Uint8Array(AsnConvert.serialize(tbsCertificate));
  const signature = await signWithHsm(hsm, issuerKey, algorithm, tbs);
  const certificate = new Certificate({ tbsCertificate, signatureAlgorithm: algorithm.identifier, signatureValue: arrayBuffer(signature) });
  return new Uint8Array(AsnConvert.serialize(certificate));
}

/** A copy that owns exactly its bytes (a Uint8Array may be a view into a larger pooled buffer). */
export function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}
