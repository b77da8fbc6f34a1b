// What v2.2 `info` says about signatures/signDoc (signature_formats, conformance_levels), from one place: the AdES
// formats signDoc offers (rssp/signdoc/formats.ts, the registry the action refuses any other format by). info
// announces them only when the method list has signDoc, so the announcement cannot run ahead of the service.
import type { SignatureFormat } from '../../signdoc/format.ts';
import { FORMATS } from '../../signdoc/formats.ts';

export type FormatOffer = Pick<SignatureFormat, 'code' | 'envelopes' | 'levels'>;

export const SIGN_DOC_FORMATS: readonly FormatOffer[] = Object.values(FORMATS);

/** Levels in the order of the spec, spelt as v2.0 info and the EUDI reference QTSP spell them ("Ades-B-B"); the
 *  signDoc action takes both spellings. */
const LEVEL_ORDER = ['AdES-B-B', 'AdES-B-T', 'AdES-B-LT'] as const;

/** `signature_formats` and `conformance_levels` of info for the formats offered (empty when signDoc is not served). */
export function signDocOffer(methods: readonly string[], formats: readonly FormatOffer[] = SIGN_DOC_FORMATS) {
  const offered = methods.includes('signatures/signDoc') ? formats : [];
  return {
    signature_formats: {
      formats: offered.map((f) => f.code),
      ...(offered.length ? { envelope_properties: offered.map((f) => [...f.envelopes]) } : {}),
    },
    conformance_levels: LEVEL_ORDER.filter((l) => offered.some((f) => f.levels.includes(l))).map((l) => l.replace(/^AdES-/, 'Ades-')),
  };
}
