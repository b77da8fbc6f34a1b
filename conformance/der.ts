// The little DER the kit needs, written out so that the kit depends on nothing but Node: reading an ECDSA
// Ecdsa-Sig-Value (RFC 3279 §2.2.3) strictly, and writing the RSASSA-PSS-params it sends as signAlgoParams
// (RFC 8017 §A.2.3), which CSC v2 §11.10 carries as base64 DER.

/** Reads one DER element at `offset`; undefined when the bytes are not a well-formed definite-length element. */
export function readElement(buf: Uint8Array, offset: number): { tag: number; start: number; end: number } | undefined {
  if (offset + 2 > buf.length) return undefined;
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // DER: long form only when needed, at most 4 length bytes here, no leading zero byte.
    if (n === 0 || n > 4 || start + n > buf.length || buf[start] === 0) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    if (len < 0x80) return undefined;
    start += n;
  }
  const end = start + len;
  return end <= buf.length ? { tag, start, end } : undefined;
}

/** A DER INTEGER that is positive and minimally encoded, as RFC 3279 requires of r and s. */
function readPositiveInteger(buf: Uint8Array, offset: number): { value: bigint; end: number } | undefined {
  const el = readElement(buf, offset);
  if (!el || el.tag !== 0x02 || el.end === el.start) return undefined;
  const bytes = buf.subarray(el.start, el.end);
  if (bytes[0]! & 0x80) return undefined; // negative
  if (bytes.length > 1 && bytes[0] === 0 && !(bytes[1]! & 0x80)) return undefined; // not minimal
  return { value: toBigInt(bytes), end: el.end };
}

export function toBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Parses Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } with nothing after it; undefined if not DER. */
export function parseEcdsaDer(sig: Uint8Array): { r: bigint; s: bigint } | undefined {
  const seq = readElement(sig, 0);
  if (!seq || seq.tag !== 0x30 || seq.end !== sig.length) return undefined;
  const r = readPositiveInteger(sig, seq.start);
  if (!r) return undefined;
  const s = readPositiveInteger(sig, r.end);
  if (!s || s.end !== seq.end) return undefined;
  return { r: r.value, s: s.value };
}

function encodeLength(len: number): number[] {
  if (len < 0x80) return [len];
  const bytes: number[] = [];
  for (let l = len; l > 0; l >>= 8) bytes.unshift(l & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, content: number[]): number[] {
  return [tag, ...encodeLength(content.length), ...content];
}

function oid(dotted: string): number[] {
  const parts = dotted.split('.').map(Number);
  const out = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, out);
}

const NULL = [0x05, 0x00];
const MGF1_OID = '1.2.840.113549.1.1.8';

/** RSASSA-PSS-params with the given hash for both the message and MGF1, and the given salt length. */
export function pssParamsDer(hashOid: string, saltLength: number): Uint8Array {
  const hashAlg = tlv(0x30, [...oid(hashOid), ...NULL]);
  const maskGen = tlv(0x30, [...oid(MGF1_OID), ...hashAlg]);
  const salt = tlv(0x02, saltLength < 0x80 ? [saltLength] : [0x00, saltLength]);
  return Uint8Array.from(tlv(0x30, [...tlv(0xa0, hashAlg), ...tlv(0xa1, maskGen), ...tlv(0xa2, salt)]));
}

/** DigestInfo (RFC 8017 §9.2) of a digest: what PKCS#1 v1.5 signs. */
export function digestInfoDer(hashOid: string, digest: Uint8Array): Uint8Array {
  return Uint8Array.from(tlv(0x30, [...tlv(0x30, [...oid(hashOid), ...NULL]), ...tlv(0x04, [...digest])]));
}
