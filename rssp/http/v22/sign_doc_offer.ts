// What v2.2 `info` says about signatures/signDoc (signature_formats, conformance_levels, validationInfo), from one
// place: the AdES formats registered for signDoc. No format is registered while signDoc is not implemented, and info
// announces formats only when the method list has signDoc, so the announcement cannot run ahead of the service.
//
// When signDoc lands, register its formats here (the SignatureFormat objects of rssp/signdoc/, CSC v2 §11.11); the
// v2.2 info test checks that formats are announced exactly when signatures/signDoc is among the methods.
import type { SignatureFormat } from '../../signdoc/format.ts';

export type FormatOffer = Pick<SignatureFormat, 'code' | 'envelopes' | 'levels'>;

export const SIGN_DOC_FORMATS: readonly FormatOffer[] = [];

/** `signature_formats` and `conformance_levels` of info for the formats offered (empty when signDoc is not served). */
export function signDocOffer(methods: readonly string[], formats: readonly FormatOffer[] = SIGN_DOC_FORMATS) {
  const offered = methods.includes('signatures/signDoc') ? formats : [];
  return {
    signature_formats: {
      formats: offered.map((f) => f.code),
      ...(offered.length ? { envelope_properties: offered.map((f) => [...f.envelopes]) } : {}),
    },
    conformance_levels: [...new Set(offered.flatMap((f) => f.levels))],
  };
}
