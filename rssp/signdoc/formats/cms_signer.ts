// What the CMS-based formats (CAdES, PAdES) share: the signer as the signing client's CMS code describes it, and the
// signature-time-stamp of the B-T levels (ETSI EN 319 122-1 §5.3, EN 319 142-1 §6.3 level B-T).
import { createHash } from 'node:crypto';
import type * as pkijs from 'pkijs';
import { HASHES, SIGN_ALGOS } from '../../../core/algorithms.ts';
import { type HashAlg, keyKind, parseCertificate, signatureTimeStampAttribute, type SignatureScheme } from '../../../client/cms/signed_data.ts';
import type { ConformanceLevel, FinishServices, Signer } from '../format.ts';

/** The signing client's scheme for this signer: the key kind from the end-entity certificate, the hash from
 *  `hashAlgorithmOID` (the action has already made it agree with signAlgo), PSS when signAlgo says so. */
export function schemeOf(signer: Signer): SignatureScheme {
  const leaf = signer.certificates[0];
  if (!leaf) throw new Error('the signer has no certificate');
  const hash = HASHES[signer.hashAlgorithmOID]?.node as HashAlg | undefined;
  if (!hash) throw new Error(`unsupported hash ${signer.hashAlgorithmOID}`);
  return { kind: keyKind(parseCertificate(leaf)), hash, pss: SIGN_ALGOS[signer.signAlgo]?.scheme === 'rsa-pss' };
}

export function digest(signer: Signer, data: Uint8Array): Uint8Array {
  return createHash(HASHES[signer.hashAlgorithmOID]!.node).update(data).digest();
}

/** id-aa-signatureTimeStampToken over the SignerInfo's signature value (RFC 3161 Appendix A: the imprint is the hash
 *  of the value of the signature field, not of its DER encoding). */
/** Returned with the token itself: B-LT adds the TSA's certificates to the validation data. */
export async function timestampOf(signatureValue: Uint8Array, signer: Signer, services: FinishServices): Promise<{ attribute: pkijs.Attribute; token: Uint8Array }> {
  const token = await services.timestamp(digest(signer, signatureValue), signer.hashAlgorithmOID);
  return { attribute: signatureTimeStampAttribute(token), token };
}

/** The levels whose SignerInfo carries a signature-time-stamp: B-T and every level built on it. */
export function timestamped(level: ConformanceLevel): boolean {
  return level === 'AdES-B-T' || level === 'AdES-B-LT';
}
