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

/**
 * CSC v1 clients that URL-encode their base64 before putting it in a JSON body (seen in the field: "%2B" for '+',
 * "%2F" for '/', "%3D" for '='). Exactly those three escapes, in either hex case, are undone, then the result is
 * decoded as strictly as decodeBase64; any other '%' refuses the value. Only /csc/v1 accepts this form.
 */
export function decodePercentEncodedBase64(text: string): Uint8Array | null {
  if (!text.includes('%')) return decodeBase64(text);
  const unescaped = text.replace(/%(2B|2F|3D)/gi, (m) => PERCENT[m.slice(1).toUpperCase()]!);
  if (unescaped.includes('%')) return null;
  return decodeBase64(unescaped);
}

const PERCENT: Record<string, string> = { '2B': '+', '2F': '/', '3D': '=' };

/**
 * A base64 value from an OAuth query or form (CSC v1 §8.3.2 `hash`, v2 §8.4.2 `hashes`): form decoding turns a raw
 * '+' of standard base64 into a space, and a space is never base64, so spaces are read back as '+' before the
 * strict decoding.
 */
export function decodeFormBase64(text: string): Uint8Array | null {
  return decodeBase64(text.replace(/ /g, '+'));
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
