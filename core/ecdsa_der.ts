// ECDSA signature encodings. PKCS#11 CKM_ECDSA produces and consumes the raw concatenation r || s, each integer
// left-padded to the size of the curve order (PKCS#11 v2.40 Current Mechanisms §2.3.1). CMS, XAdES, PAdES and
// every CSC client expect the DER Ecdsa-Sig-Value of RFC 3279 §2.2.3 / RFC 5480 §2.2 instead:
//   Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }
// Both conversions are strict: DER INTEGERs are minimal and positive, so that one signature has one encoding.

/** Thrown by ecdsaDerToRaw when the input is not a strict DER Ecdsa-Sig-Value that fits the curve. */
export class EcdsaEncodingError extends Error {
  override name = 'EcdsaEncodingError';
}

/** raw r || s (even length) → DER Ecdsa-Sig-Value with minimal INTEGERs. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new EcdsaEncodingError(`raw ECDSA signature must have an even, non-zero length (got ${raw.length})`);
  }
  const half = raw.length / 2;
  const r = derInteger(raw.subarray(0, half));
  const s = derInteger(raw.subarray(half));
  return concat([Uint8Array.of(0x30), derLength(r.length + s.length), r, s]);
}

/** DER Ecdsa-Sig-Value → raw r || s, each left-padded to `size` bytes (32 for P-256, 48 for P-384). */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array {
  const reader = new DerReader(der);
  const seq = reader.read(0x30);
  if (!reader.done()) throw new EcdsaEncodingError('trailing bytes after Ecdsa-Sig-Value');
  const inner = new DerReader(seq);
  const r = unsignedInteger(inner.read(0x02), size, 'r');
  const s = unsignedInteger(inner.read(0x02), size, 's');
  if (!inner.done()) throw new EcdsaEncodingError('trailing bytes inside Ecdsa-Sig-Value');
  const out = new Uint8Array(2 * size);
  out.set(r, size - r.length);
  out.set(s, 2 * size - s.length);
  return out;
}

/** Minimal positive INTEGER: strip leading zero bytes, then add one back if the high bit is set (X.690 §8.3). */
function derInteger(value: Uint8Array): Uint8Array {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  let body = value.subarray(start);
  if ((body[0]! & 0x80) !== 0) body = concat([Uint8Array.of(0), body]);
  return concat([Uint8Array.of(0x02), derLength(body.length), body]);
}

function unsignedInteger(body: Uint8Array, size: number, name: string): Uint8Array {
  if (body.length === 0) throw new EcdsaEncodingError(`${name}: empty INTEGER`);
  if ((body[0]! & 0x80) !== 0) throw new EcdsaEncodingError(`${name}: negative INTEGER`);
  if (body.length > 1 && body[0] === 0 && (body[1]! & 0x80) === 0) {
    throw new EcdsaEncodingError(`${name}: INTEGER is not minimally encoded`);
  }
  const magnitude = body[0] === 0 && body.length > 1 ? body.subarray(1) : body;
  if (magnitude.length > size) throw new EcdsaEncodingError(`${name}: longer than ${size} bytes`);
  return magnitude;
}

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n < 0x100) return Uint8Array.of(0x81, n);
  return Uint8Array.of(0x82, n >> 8, n & 0xff);
}

/** Just enough of a DER reader for SEQUENCE { INTEGER, INTEGER }: definite, minimal lengths only (X.690 §10.1). */
class DerReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  done(): boolean {
    return this.pos === this.buf.length;
  }

  read(tag: number): Uint8Array {
    if (this.buf[this.pos] !== tag) throw new EcdsaEncodingError(`expected tag 0x${tag.toString(16)}`);
    this.pos++;
    const first = this.byte();
    let len = first;
    if (first & 0x80) {
      const count = first & 0x7f;
      if (count === 0 || count > 2) throw new EcdsaEncodingError('unsupported DER length');
      len = 0;
      for (let i = 0; i < count; i++) len = (len << 8) | this.byte();
      if (len < 0x80 || (count === 2 && len < 0x100)) throw new EcdsaEncodingError('DER length is not minimal');
    }
    if (this.pos + len > this.buf.length) throw new EcdsaEncodingError('DER length exceeds input');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  private byte(): number {
    const b = this.buf[this.pos++];
    if (b === undefined) throw new EcdsaEncodingError('truncated DER');
    return b;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
