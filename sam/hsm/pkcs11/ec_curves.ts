// Named curves we generate keys on. CKA_EC_PARAMS holds the DER ECParameters, here always the namedCurve choice
// (RFC 5480 §2.1.1: implicit and specified curves are not allowed in certificates).
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECParameters } from '@peculiar/asn1-ecc';
import { CURVE_OID } from '../../../core/algorithms.ts';

export type CurveName = keyof typeof CURVE_OID;

/** `size`: bytes of the field and of each of r and s (P-256: 32, P-384: 48). */
export const CURVES: Record<CurveName, { oid: string; size: number; params: Buffer }> = {
  'P-256': { oid: CURVE_OID['P-256'], size: 32, params: ecParams(CURVE_OID['P-256']) },
  'P-384': { oid: CURVE_OID['P-384'], size: 48, params: ecParams(CURVE_OID['P-384']) },
};

function ecParams(oid: string): Buffer {
  return Buffer.from(AsnConvert.serialize(new ECParameters({ namedCurve: oid })));
}

/** The curve whose DER parameters equal `params`, or undefined for curves this service does not use. */
export function curveByParams(params: Uint8Array): CurveName | undefined {
  return (Object.keys(CURVES) as CurveName[]).find((c) => CURVES[c].params.equals(params));
}
