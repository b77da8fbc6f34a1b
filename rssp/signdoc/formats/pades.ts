// PAdES baseline signatures (ETSI EN 319 142-1) for signatures/signDoc (CSC v2 §11.11 signature_format "P"), with the
// signing client's PDF and CMS code. From the document: an incremental update with a signature dictionary
// (/SubFilter ETSI.CAdES.detached, the signing time in /M) whose CMS covers the /ByteRange, the signed PDF returned
// as DocumentWithSignature. Certification adds the DocMDP transform with /P 2 (form filling and further signatures
// allowed, ISO 32000-1 §12.8.2.2); Revision is an approval signature. From a digest (documentDigests, the digest of
// the /ByteRange the client prepared): the CMS to embed, as SignatureObject. The CMS carries no signing-time
// attribute (EN 319 142-1 §5.4.4 forbids it next to /M); B-T adds a signature-time-stamp; B-LT (from the document)
// a DSS with the certificates and the CRL in a further incremental update (client/pdf/dss_update.ts).
import { prepareSignerInfo } from '../../../client/cms/signed_data.ts';
import { appendDss } from '../../../client/pdf/dss_update.ts';
import { type PreparedPdf, preparePdfSignature } from '../../../client/pdf/signature_update.ts';
import { DocumentFormatError, type FormatInput, type PreparedSignature, type SignatureFormat } from '../format.ts';
import { digest, schemeOf, timestamped, timestampOf } from './cms_signer.ts';
import { validationDataOf } from './validation_data.ts';

/** Bytes reserved in /Contents: a CMS with a chain of a few certificates and, for B-T, a token with its own chain. */
const CONTENTS_SIZE = 32_768;

/** §11.11 signed_props a PAdES signature dictionary can hold (EN 319 142-1 §5.3): their values are base64 text. */
const PDF_PROPS = ['Reason', 'Name', 'Location', 'ContactInfo'] as const;

export const PADES: SignatureFormat = {
  code: 'P',
  // §11.11: Certification is the default for PAdES.
  envelopes: ['Certification', 'Revision'],
  levels: ['AdES-B-B', 'AdES-B-T', 'AdES-B-LT'],
  digestEnvelopes: ['Certification', 'Revision'],
  signedProps: PDF_PROPS,
  async prepare(input): Promise<PreparedSignature> {
    const pdf = input.document ? preparePdf(input) : undefined;
    const signerInfo = prepareSignerInfo({
      chain: input.signer.certificates,
      scheme: schemeOf(input.signer),
      contentDigest: pdf ? digest(input.signer, pdf.signedBytes()) : input.documentDigest,
    });
    return {
      dtbsr: signerInfo.signedAttrsDer,
      dtbsrHash: signerInfo.toBeSigned,
      // From a digest, messageDigest is the authorized digest; from the document it is the /ByteRange's digest, which
      // only the service can compute (the SAD binds the whole document's digest).
      bindsDocumentDigest: !pdf,
      async finish(signatureValue, services) {
        const stamp = timestamped(input.level) ? await timestampOf(signatureValue, input.signer, services) : undefined;
        const cms = signerInfo.finish(signatureValue, { unsignedAttributes: stamp ? [stamp.attribute] : [] });
        // From a digest the client builds the PDF, and its DSS from validationInfo (§11.11 returnValidationInfo).
        if (!pdf) return { kind: 'SignatureObject', bytes: cms };
        try {
          const signed = pdf.embed(cms);
          if (input.level !== 'AdES-B-LT') return { kind: 'DocumentWithSignature', bytes: signed };
          return { kind: 'DocumentWithSignature', bytes: appendDss(signed, await validationDataOf(input.signer, [stamp!.token], services)) };
        } catch (err) {
          throw new DocumentFormatError((err as Error).message);
        }
      },
    };
  },
};

/** A signed_props value (base64 of UTF-8 text) as a PDF text string (ISO 32000-1 §7.9.2.2): printable ASCII as it is,
 *  anything else in UTF-16BE with its byte order mark. */
function pdfText(base64: string): string {
  const text = Buffer.from(base64, 'base64').toString('utf8');
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]).toString('latin1');
}

function preparePdf(input: FormatInput): PreparedPdf {
  const props = Object.fromEntries(input.signedProps.map((p) => [p.attribute, pdfText(p.value)]));
  try {
    return preparePdfSignature(input.document!, {
      signingTime: input.signingTime,
      contentsSize: CONTENTS_SIZE,
      docMdp: input.envelope === 'Certification' ? 2 : undefined,
      reason: props.Reason,
      name: props.Name,
      location: props.Location,
      contactInfo: props.ContactInfo,
    });
  } catch (err) {
    // Whatever the reader trips on is a property of the document, not of the service (a 400, never a 500).
    throw new DocumentFormatError(`The document is not a PDF that can be signed: ${(err as Error).message}`);
  }
}
