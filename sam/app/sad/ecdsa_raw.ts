// JWS carries ECDSA signatures as raw r || s (RFC 7518 §3.4); the HSM returns DER Ecdsa-Sig-Value.
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECDSASigValue } from '@peculiar/asn1-ecc';

export function derToRawEcdsa(der: Uint8Array, size: number): Uint8Array {
  const sig = AsnConvert.parse(der, ECDSASigValue);
  const out = new Uint8Array(2 * size);
  out.set(fixed(new Uint8Array(sig.r), size), 0);
  out.set(fixed(new Uint8Array(sig.s), size), size);
  return out;
}

/** Strips the sign byte / leading zeros of a DER INTEGER and left-pads to the field size. */
function fixed(int: Uint8Array, size: number): Uint8Array {
  let start = 0;
  while (start < int.length - 1 && int[start] === 0) start++;
  const bytes = int.subarray(start);
  if (bytes.length > size) throw new Error('ECDSA integer longer than the curve size');
  const out = new Uint8Array(size);
  out.set(bytes, size - bytes.length);
  return out;
}
