// CAdES baseline signatures (ETSI EN 319 122-1) for signatures/signDoc (CSC v2 §11.11 signature_format "C"): a CMS
// SignedData (RFC 5652) with the signed attributes of level B-B — content-type, message-digest, signing-time and
// ESS signing-certificate-v2 — built by the signing client's CMS code, for B-T a signature-time-stamp, and for B-LT
// also the certificates and the CRL that validate the signer's and the TSA's certificates. Attached
// encapsulates the document (DocumentWithSignature); Detached leaves it out (SignatureObject), and is the only
// envelope that can be made from a digest alone; Parallel adds a signer to an attached CMS given as the document
// (the SAD then binds the digest of that CMS, and its messageDigest is that of the content inside).
import { prepareSignerInfo } from '../../../client/cms/signed_data.ts';
import type { PreparedSignature, SignatureFormat } from '../format.ts';
import { addSigner, readAttachedSignedData } from './cades_parallel.ts';
import { digest, schemeOf, timestamped, timestampOf } from './cms_signer.ts';
import { addToSignedData, validationDataOf } from './validation_data.ts';

export const CADES: SignatureFormat = {
  code: 'C',
  // §11.11: Attached is the default for CAdES.
  envelopes: ['Attached', 'Detached', 'Parallel'],
  levels: ['AdES-B-B', 'AdES-B-T', 'AdES-B-LT'],
  digestEnvelopes: ['Detached'],
  async prepare(input): Promise<PreparedSignature> {
    const attached = input.envelope === 'Attached';
    const parallel = input.envelope === 'Parallel' ? readAttachedSignedData(input.document!) : undefined;
    if ((attached || parallel) && !input.document) throw new Error(`a ${input.envelope} CAdES signature needs the document`);
    const signerInfo = prepareSignerInfo({
      chain: input.signer.certificates,
      scheme: schemeOf(input.signer),
      contentDigest: parallel ? digest(input.signer, parallel.content) : input.documentDigest,
      signingTime: input.signingTime,
    });
    return {
      dtbsr: signerInfo.signedAttrsDer,
      dtbsrHash: signerInfo.toBeSigned,
      // Parallel: messageDigest is the digest of the content inside the CMS, not of the CMS the SAD binds.
      bindsDocumentDigest: !parallel,
      async finish(signatureValue, services) {
        const stamp = timestamped(input.level) ? await timestampOf(signatureValue, input.signer, services) : undefined;
        let bytes = signerInfo.finish(signatureValue, { unsignedAttributes: stamp ? [stamp.attribute] : [], content: attached ? input.document : undefined });
        // B-LT: the validation data in the SignedData (validation_data.ts says why there).
        if (input.level === 'AdES-B-LT') bytes = addToSignedData(bytes, await validationDataOf(input.signer, [stamp!.token], services));
        if (parallel) return { kind: 'DocumentWithSignature', bytes: addSigner(parallel.signedData, bytes) };
        return { kind: attached ? 'DocumentWithSignature' : 'SignatureObject', bytes };
      },
    };
  },
};
