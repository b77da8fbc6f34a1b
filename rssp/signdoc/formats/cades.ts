// CAdES baseline signatures (ETSI EN 319 122-1) for signatures/signDoc (CSC v2 §11.11 signature_format "C"): a CMS
// SignedData (RFC 5652) with the signed attributes of level B-B — content-type, message-digest, signing-time and
// ESS signing-certificate-v2 — built by the signing client's CMS code, and for B-T a signature-time-stamp. Attached
// encapsulates the document (DocumentWithSignature); Detached leaves it out (SignatureObject), and is the only
// envelope that can be made from a digest alone.
import { prepareSignerInfo } from '../../../client/cms/signed_data.ts';
import type { PreparedSignature, SignatureFormat } from '../format.ts';
import { schemeOf, signatureTimestamp } from './cms_signer.ts';

export const CADES: SignatureFormat = {
  code: 'C',
  // §11.11: Attached is the default for CAdES.
  envelopes: ['Attached', 'Detached'],
  levels: ['AdES-B-B', 'AdES-B-T'],
  digestEnvelopes: ['Detached'],
  async prepare(input): Promise<PreparedSignature> {
    const attached = input.envelope === 'Attached';
    if (attached && !input.document) throw new Error('an attached CAdES signature needs the document');
    const signerInfo = prepareSignerInfo({
      chain: input.signer.certificates,
      scheme: schemeOf(input.signer),
      contentDigest: input.documentDigest,
      signingTime: input.signingTime,
    });
    return {
      dtbsr: signerInfo.signedAttrsDer,
      dtbsrHash: signerInfo.toBeSigned,
      bindsDocumentDigest: true,
      async finish(signatureValue, services) {
        const unsignedAttributes = input.level === 'AdES-B-T' ? [await signatureTimestamp(signatureValue, input.signer, services)] : [];
        const bytes = signerInfo.finish(signatureValue, { unsignedAttributes, content: attached ? input.document : undefined });
        return { kind: attached ? 'DocumentWithSignature' : 'SignatureObject', bytes };
      },
    };
  },
};
