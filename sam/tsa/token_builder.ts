// Builds a TimeStampToken (RFC 3161 §2.4.2): the TSTInfo, wrapped in a CMS SignedData (RFC 5652 §5) whose signed
// attributes carry the content type, the digest of the TSTInfo and the ESS signing-certificate-v2 of the TSA's
// certificate (RFC 5816 §2.2.1), signed by the TSA key inside the HSM. Built with pkijs/asn1js, not by hand.
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { integerBytes, TSA_OIDS } from '../../core/timestamp_token.ts';
import type { Hsm } from '../hsm/hsm.ts';
import { signWithHsm } from '../ca/hsm_signer.ts';
import { randomSerial } from '../ca/serial.ts';
import { signingAlgorithmFor } from '../ca/signature_algorithm.ts';
import type { TimestampRequest } from './tsa.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

export type TsaSigner = {
  hsm: Hsm;
  key: { keyId: string; spki: Uint8Array };
  /** DER of the TSA certificate (EC P-256 key, id-kp-timeStamping). */
  certificate: Uint8Array;
  policy: string;
};

function attribute(type: string, value: asn1js.AsnType): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] });
}

/** SigningCertificateV2 { certs: [ ESSCertIDv2 { certHash (SHA-256, the default: hashAlgorithm omitted, as DER
 *  requires), issuerSerial } ] } (RFC 5035 §3). */
function signingCertificateV2(cert: pkijs.Certificate, certDer: Uint8Array): asn1js.Sequence {
  const issuerSerial = new asn1js.Sequence({
    value: [
      // GeneralNames holding one directoryName [4], EXPLICIT because Name is a CHOICE.
      new asn1js.Sequence({ value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [cert.issuer.toSchema()] })] }),
      cert.serialNumber,
    ],
  });
  const essCertId = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: createHash('sha256').update(certDer).digest() }), issuerSerial] });
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertId] })] });
}

export async function buildTimestampToken(signer: TsaSigner, req: TimestampRequest, genTime: Date): Promise<Uint8Array> {
  const cert = pkijs.Certificate.fromBER(signer.certificate);
  const tstInfo = new pkijs.TSTInfo({
    version: 1,
    policy: signer.policy,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: req.hashAlgorithmOID }),
      hashedMessage: new asn1js.OctetString({ valueHex: req.digest }),
    }),
    // Unique per token (RFC 3161 §2.4.2): 127 random bits, positive and in minimal form.
    serialNumber: new asn1js.Integer({ valueHex: randomSerial() }),
    genTime,
    // The host's clock is trusted to the second (NTP); the token says so rather than claim more.
    accuracy: new pkijs.Accuracy({ seconds: 1 }),
    ...(req.nonce !== undefined ? { nonce: new asn1js.Integer({ valueHex: integerBytes(req.nonce) }) } : {}),
  });
  const tstDer = new Uint8Array(tstInfo.toSchema().toBER());

  const attrs = [
    attribute(TSA_OIDS.contentType, new asn1js.ObjectIdentifier({ value: TSA_OIDS.tstInfo })),
    attribute(TSA_OIDS.messageDigest, new asn1js.OctetString({ valueHex: createHash('sha256').update(tstDer).digest() })),
    attribute(TSA_OIDS.signingCertificateV2, signingCertificateV2(cert, signer.certificate)),
  ];
  // DER sorts a SET OF by encoding (X.690 §11.6), so a verifier that re-encodes the attributes hashes these bytes.
  const sorted = attrs
    .map((a) => ({ a, der: Buffer.from(a.toSchema().toBER()) }))
    .sort((x, y) => Buffer.compare(x.der, y.der))
    .map((e) => e.a);
  const signedAttrsDer = new Uint8Array(new asn1js.Set({ value: sorted.map((a) => a.toSchema()) }).toBER());
  // Hashed here, signed in the HSM, verified with the public key before use (DESIGN §2.4).
  const signature = await signWithHsm(signer.hsm, signer.key, signingAlgorithmFor('EC-P256'), signedAttrsDer);

  const digestAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: SHA256 });
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
    digestAlgorithm,
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: sorted }),
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_WITH_SHA256 }),
    signature: new asn1js.OctetString({ valueHex: signature }),
  });
  const encapContentInfo = new pkijs.EncapsulatedContentInfo({ eContentType: TSA_OIDS.tstInfo });
  // Set after construction: given to the constructor, pkijs turns the OCTET STRING into a constructed one (BER),
  // and a token should be DER throughout so that strict readers take it.
  encapContentInfo.eContent = new asn1js.OctetString({ valueHex: tstDer });
  const signedData = new pkijs.SignedData({
    // RFC 5652 §5.1: version 3 because the content is not id-data.
    version: 3,
    digestAlgorithms: [digestAlgorithm],
    encapContentInfo,
    // RFC 3161 §2.4.2 certReq: the certificate named by the ESS attribute is included.
    certificates: [cert],
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: TSA_OIDS.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER());
}
