// PKCS#10 certification requests for an external CA (RFC 2986), signed by the credential's own key inside the
// HSM: the signature is the proof of possession the CA asks for, so no other key can stand in for it.
import { AsnConvert } from '@peculiar/asn1-schema';
import { Attribute, Extensions, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { SamError, type KeyAlgo } from '../../core/sam_port.ts';
import type { Hsm } from '../hsm/hsm.ts';
import { arrayBuffer } from './certificate_builder.ts';
import { checkEmail, subjectName, type Subject } from './names.ts';
import { signWithHsm } from './hsm_signer.ts';
import { signingAlgorithmFor, verifySignature } from './signature_algorithm.ts';
import { subjectAltNameEmail } from '../../core/x509_extensions.ts';
import { publicKeyOf } from './spki.ts';

/** PKCS#9 extensionRequest: extensions the requester would like in its certificate (RFC 2985 §5.4.2). */
const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

/**
 * DER CertificationRequest for `key` with subject CN (+ emailAddress), signed ecdsa-with-SHA256/384 (P-256/P-384)
 * or sha256WithRSAEncryption. With an email the request also asks for an rfc822Name subjectAltName.
 */
export async function createCsr(
  hsm: Hsm,
  key: { keyId: string; spki: Uint8Array; algo: KeyAlgo },
  subject: Subject,
): Promise<Uint8Array> {
  const algorithm = signingAlgorithmFor(key.algo);
  const attributes = new Attributes();
  if (subject.email !== undefined) {
    const extensions = new Extensions([subjectAltNameEmail(checkEmail(subject.email))]);
    attributes.push(new Attribute({ type: EXTENSION_REQUEST, values: [AsnConvert.serialize(extensions)] }));
  }
  const info = new CertificationRequestInfo({
    version: 0,
    subject: subjectName(subject),
    subjectPKInfo: AsnConvert.parse(key.spki, SubjectPublicKeyInfo),
    attributes,
  });
  const signature = await signWithHsm(hsm, key, algorithm, new Uint8Array(AsnConvert.serialize(info)));
  const der = new Uint8Array(
    AsnConvert.serialize(
      new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: algorithm.identifier, signature: arrayBuffer(signature) }),
    ),
  );
  // Read back what we emit and check it as a CA would: the encoded request must verify under its own key.
  const back = AsnConvert.parse(der, CertificationRequest);
  const check = verifySignature(
    back.signatureAlgorithm,
    new Uint8Array(back.certificationRequestInfoRaw ?? new ArrayBuffer(0)),
    new Uint8Array(back.signature),
    publicKeyOf(key.spki),
  );
  if (!check.ok) throw new SamError('SAM_SIGNATURE_VERIFY_FAILED', `certification request: ${check.reason}`);
  return der;
}
