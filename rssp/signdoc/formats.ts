// The AdES formats signatures/signDoc offers (CSC v2 §11.11 signature_format), one line each. `info` announces
// exactly these (signature_formats, conformance_levels), and the action refuses any other.
import type { ConformanceLevel, SignatureFormat, SignatureFormatCode } from './format.ts';
import { CADES } from './formats/cades.ts';
import { jades } from './formats/jades.ts';
import { PADES } from './formats/pades.ts';
import { xades } from './formats/xades.ts';

export const FORMATS: Partial<Record<SignatureFormatCode, SignatureFormat>> = {
  P: PADES,
  C: CADES,
  X: xades,
  J: jades,
};

export function formatOf(code: string): SignatureFormat | undefined {
  return Object.hasOwn(FORMATS, code) ? FORMATS[code as SignatureFormatCode] : undefined;
}

/** Every level some format offers, in the order of the spec. */
export function offeredLevels(): ConformanceLevel[] {
  const all: ConformanceLevel[] = ['AdES-B-B', 'AdES-B-T', 'AdES-B-LT'];
  return all.filter((l) => Object.values(FORMATS).some((f) => f.levels.includes(l)));
}
