// Base64 at the wire (CSC v2 §5.2, DESIGN §8): inputs in the standard alphabet (RFC 4648 §4) or the url-safe one
// (§5), padding optional; outputs always standard and padded.

const STD = /^[A-Za-z0-9+/]*$/;
const URL_SAFE = /^[A-Za-z0-9_-]*$/;

/**
 * Strict decoding: one alphabet per string, correct padding if any, no whitespace, and canonical trailing bits, so
 * that exactly one string maps to each byte sequence (a lenient decoder would let two different strings name the
 * same digest). Returns null for anything else, including the empty string.
 */
export function decodeBase64(text: string): Uint8Array | null {
  if (text.length === 0) return null;
  const unpadded = text.replace(/={1,2}$/, '');
  if (unpadded.length !== text.length && text.length % 4 !== 0) return null;
  if (unpadded.length % 4 === 1) return null;
  const std = STD.test(unpadded);
  if (!std && !URL_SAFE.test(unpadded)) return null;
  const bytes = Buffer.from(unpadded, std ? 'base64' : 'base64url');
  const canonical = bytes.toString('base64url');
  const asUrl = std ? unpadded.replace(/\+/g, '-').replace(/\//g, '_') : unpadded;
  if (canonical !== asUrl) return null;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
