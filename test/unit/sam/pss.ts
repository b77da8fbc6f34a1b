// DER RSASSA-PSS-params for tests (RFC 4055 §3.1), built with the same ASN.1 library a client would use.
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';

const MGF1 = '1.2.840.113549.1.1.8';

export function pssParams(hashOid: string, saltLength: number, mgfHashOid = hashOid): Uint8Array {
  const hash = new AlgorithmIdentifier({ algorithm: hashOid, parameters: null });
  const mgfHash = new AlgorithmIdentifier({ algorithm: mgfHashOid, parameters: null });
  const params = new RsaSaPssParams({
    hashAlgorithm: hash,
    maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: MGF1, parameters: AsnConvert.serialize(mgfHash) }),
    saltLength,
  });
  return new Uint8Array(AsnConvert.serialize(params));
}
