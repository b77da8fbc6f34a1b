// The validation data of an AdES-B-LT signature (ETSI EN 319 122-1 §5.5, EN 319 142-1 §5.4.2; CSC v2 §11.11
// validationInfo): every certificate from the signer's to the root, those of the TSA that time-stamped the signature
// (taken from its tokens), and the CRL of the CA that issued them. Without OCSP: the development CA has no responder.
import * as pkijs from 'pkijs';
import type { ValidationData } from '../../../client/pdf/dss_update.ts';
import type { FinishServices, Signer } from '../format.ts';

const SIGNED_DATA = '1.2.840.113549.1.7.2';

export type { ValidationData };

/** The certificates a TimeStampToken (a CMS SignedData, RFC 3161 §2.4.2) carries, DER. */
export function tokenCertificates(token: Uint8Array): Uint8Array[] {
  const ci = pkijs.ContentInfo.fromBER(token);
  if (ci.contentType !== SIGNED_DATA) throw new Error('the time-stamp token is not a CMS SignedData');
  const sd = new pkijs.SignedData({ schema: ci.content });
  return (sd.certificates ?? []).filter((c) => c instanceof pkijs.Certificate).map((c) => new Uint8Array(c.toSchema().toBER()));
}

/** The signer's chain and the tokens' certificates (each once, the signer's first) and the CA's CRL. */
export async function validationDataOf(signer: Signer, tokens: Uint8Array[], services: FinishServices): Promise<ValidationData> {
  return { certificates: unique([...signer.certificates, ...tokens.flatMap(tokenCertificates)]), crls: [await services.crl()] };
}

export function unique(values: Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = Buffer.from(v).toString('base64');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** CAdES B-LT in the SignedData itself (RFC 5652 §5.1 `certificates` and `crls`), where `openssl cms -verify` and
 *  the common validators look for them, rather than in ETSI certificate-values/revocation-values attributes. */
export function addToSignedData(cms: Uint8Array, data: ValidationData): Uint8Array {
  const ci = pkijs.ContentInfo.fromBER(cms);
  const sd = new pkijs.SignedData({ schema: ci.content });
  const present = (sd.certificates ?? []).map((c) => new Uint8Array(c.toSchema().toBER()));
  const added = unique([...present, ...data.certificates]).slice(present.length);
  sd.certificates = [...(sd.certificates ?? []), ...added.map((der) => pkijs.Certificate.fromBER(der))];
  sd.crls = [...(sd.crls ?? []), ...data.crls.map((der) => pkijs.CertificateRevocationList.fromBER(der))];
  const out = new pkijs.ContentInfo({ contentType: SIGNED_DATA, content: sd.toSchema(true) });
  return new Uint8Array(out.toSchema().toBER());
}
