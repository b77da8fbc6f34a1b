// Certificate serial numbers: positive, unique per CA, and unpredictable (CA/B Forum BR §7.1 asks for at least
// 64 bits from a CSPRNG; we take 127).
import { randomBytes } from 'node:crypto';

/** 16 octets, already in minimal DER INTEGER form: the top bit clear keeps the value positive (RFC 5280
 *  §4.1.2.2) and a non-zero first octet means no padding octet is needed. */
export function randomSerial(): Uint8Array {
  const serial = new Uint8Array(randomBytes(16));
  serial[0] = serial[0]! & 0x7f || 0x01;
  return serial;
}
