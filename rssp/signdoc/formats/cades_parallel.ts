// CAdES "Parallel" (CSC v2 §11.11 signed_envelope_property): one more SignerInfo on an existing attached CMS
// SignedData given as the document, over the same encapsulated content (RFC 5652 §5.1: signerInfos is a SET, every
// signer signs the content independently). The other signers' SignerInfos and certificates are kept as they are.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { DocumentFormatError } from '../format.ts';

const SIGNED_DATA = '1.2.840.113549.1.7.2';

/** The SignedData of `document` and the content it encapsulates; a DocumentFormatError for anything else. */
export function readAttachedSignedData(document: Uint8Array): { signedData: pkijs.SignedData; content: Uint8Array } {
  let signedData: pkijs.SignedData;
  try {
    const ci = pkijs.ContentInfo.fromBER(document);
    if (ci.contentType !== SIGNED_DATA) throw new Error(`contentType ${ci.contentType}`);
    signedData = new pkijs.SignedData({ schema: ci.content });
  } catch (err) {
    throw new DocumentFormatError(`A Parallel CAdES signature needs a CMS SignedData as the document: ${(err as Error).message}`);
  }
  const eContent = signedData.encapContentInfo.eContent;
  if (!eContent) throw new DocumentFormatError('A Parallel CAdES signature needs an attached CMS SignedData: this one has no encapsulated content');
  return { signedData, content: octets(eContent) };
}

/** The bytes of an OCTET STRING, also in the constructed (BER, segmented) form some producers use. */
function octets(s: asn1js.OctetString): Uint8Array {
  if (!s.idBlock.isConstructed) return new Uint8Array(s.valueBlock.valueHexView);
  return Buffer.concat((s.valueBlock.value as asn1js.OctetString[]).map((part) => Buffer.from(octets(part))));
}

/** `existing` with the SignerInfo, certificates and digest algorithm of `ours` (a one-signer ContentInfo) added. */
export function addSigner(existing: pkijs.SignedData, ours: Uint8Array): Uint8Array {
  const mine = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(ours).content });
  const si = mine.signerInfos[0]!;
  existing.signerInfos.push(si);
  if (!existing.digestAlgorithms.some((a) => a.algorithmId === si.digestAlgorithm.algorithmId)) existing.digestAlgorithms.push(si.digestAlgorithm);
  const der = (c: pkijs.CertificateSetItem) => Buffer.from(c.toSchema().toBER());
  const present = new Set((existing.certificates ?? []).map((c) => der(c).toString('base64')));
  existing.certificates = [...(existing.certificates ?? []), ...(mine.certificates ?? []).filter((c) => !present.has(der(c).toString('base64')))];
  const ci = new pkijs.ContentInfo({ contentType: SIGNED_DATA, content: existing.toSchema(true) });
  return new Uint8Array(ci.toSchema().toBER());
}
