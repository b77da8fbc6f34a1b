// signatures/signDoc through the SAM (CSC v2 §11.11, DESIGN §2.3): the SAD is checked against the document digests
// the user approved, and the key signs the DTBS/R hashes the service built around them. Where the DTBS/R is CMS
// signed attributes meant to carry the approved digest as messageDigest (CAdES, PAdES from a digest), the SAM does
// not take the service's word for it: it hashes the attributes itself and reads the messageDigest. For a PAdES
// signature built from the whole PDF the messageDigest is the digest of the /ByteRange, which only the service can
// relate to the approved digest of the document (docs/architecture.md, "signDoc trust boundary").
import { createHash, timingSafeEqual } from 'node:crypto';
import * as asn1js from 'asn1js';
import { HASHES } from '../../../core/algorithms.ts';
import { SamError, type SignInput } from '../../../core/sam_port.ts';

const MESSAGE_DIGEST = '1.2.840.113549.1.9.4';

/** The hashes the key signs: `hashes` themselves (signHash), or the checked sign inputs (signDoc). */
export function requireSignInputs(inputs: readonly SignInput[] | undefined, hashes: readonly Uint8Array[], hashOid: string): Uint8Array[] {
  if (inputs === undefined) return [...hashes];
  const alg = HASHES[hashOid]!;
  if (inputs.length !== hashes.length) throw new SamError('SAM_SIGN_INPUTS_INVALID', `${inputs.length} sign inputs for ${hashes.length} hashes`);
  return inputs.map((input, i) => {
    if (input.hash.length !== alg.length) throw new SamError('SAM_SIGN_INPUTS_INVALID', `sign input ${i} is not a ${alg.name} digest`);
    if (input.cmsSignedAttributes !== undefined) {
      const recomputed = createHash(alg.node).update(input.cmsSignedAttributes).digest();
      if (!same(recomputed, input.hash)) throw new SamError('SAM_DTBSR_MISMATCH', `sign input ${i} is not the hash of its signed attributes`);
      const md = messageDigestOf(input.cmsSignedAttributes);
      if (!md || !same(md, hashes[i]!)) throw new SamError('SAM_DTBSR_MISMATCH', `the messageDigest of sign input ${i} is not the authorized hash`);
    }
    return input.hash;
  });
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The one value of the one messageDigest attribute of a DER SET OF Attribute (RFC 5652 §5.3, §11.2); null when the
 *  bytes are not that, or the attribute is missing, repeated or multi-valued (§11.2 forbids both). */
export function messageDigestOf(der: Uint8Array): Uint8Array | null {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset !== der.length || !(parsed.result instanceof asn1js.Set)) return null;
  let found: Uint8Array | null = null;
  for (const attr of parsed.result.valueBlock.value) {
    if (!(attr instanceof asn1js.Sequence)) return null;
    const [type, values] = attr.valueBlock.value;
    if (!(type instanceof asn1js.ObjectIdentifier) || !(values instanceof asn1js.Set)) return null;
    if (type.valueBlock.toString() !== MESSAGE_DIGEST) continue;
    const [value, ...more] = values.valueBlock.value;
    if (found !== null || more.length > 0 || !(value instanceof asn1js.OctetString) || value.idBlock.isConstructed) return null;
    found = new Uint8Array(value.valueBlock.valueHexView);
  }
  return found;
}
