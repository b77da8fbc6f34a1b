// IssuerSerial of RFC 5035 §4 (the ESSCertIDv2 field), which XAdES IssuerSerialV2 carries as base64 DER
// (ETSI EN 319 132-1 §5.2.2):  IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
// with the issuer as one directoryName [4] (explicit: Name is a CHOICE).
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';

export function issuerSerialDer(certDer: Uint8Array): Uint8Array {
  const tbs = AsnConvert.parse(certDer, Certificate).tbsCertificate;
  const issuer = asn1js.fromBER(AsnConvert.serialize(tbs.issuer)).result;
  const seq = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [issuer] })],
      }),
      new asn1js.Integer({ valueHex: tbs.serialNumber }),
    ],
  });
  return new Uint8Array(seq.toBER());
}
