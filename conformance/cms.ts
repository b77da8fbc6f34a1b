// The little CMS (RFC 5652) the kit needs to check a detached CAdES signature from signatures/signDoc, read with a
// strict DER walker so that the kit still depends on nothing but Node: the first SignerInfo's signed attributes (as
// the SET OF they are signed as, §5.4), its messageDigest and its signature value.

type Element = { tag: number; at: number; start: number; end: number };

function element(buf: Uint8Array, at: number, limit = buf.length): Element | undefined {
  if (at + 2 > limit) return undefined;
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  return end <= limit ? { tag, at, start, end } : undefined;
}

function children(buf: Uint8Array, parent: Element): Element[] | undefined {
  const out: Element[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const e = element(buf, at, parent.end);
    if (!e) return undefined;
    out.push(e);
    at = e.end;
  }
  return out;
}

const MESSAGE_DIGEST = Buffer.from('2a864886f70d010904', 'hex'); // 1.2.840.113549.1.9.4
const SIGNED_DATA = Buffer.from('2a864886f70d010702', 'hex'); // 1.2.840.113549.1.7.2

export type CmsSigner = { signedAttrs: Buffer; messageDigest: Buffer; signature: Buffer; attached: boolean };

/** The first SignerInfo of a DER ContentInfo holding a SignedData, or the reason it cannot be read. */
export function firstSigner(der: Uint8Array): CmsSigner | string {
  const buf = Buffer.from(der);
  const ci = element(buf, 0);
  if (!ci || ci.tag !== 0x30 || ci.end !== buf.length) return 'not one DER SEQUENCE (ContentInfo)';
  const [type, content] = children(buf, ci) ?? [];
  if (!type || type.tag !== 0x06 || !buf.subarray(type.start, type.end).equals(SIGNED_DATA)) return 'contentType is not id-signedData';
  if (!content || content.tag !== 0xa0) return 'no [0] content';
  const [sd] = children(buf, content) ?? [];
  const parts = sd && sd.tag === 0x30 ? children(buf, sd) : undefined;
  if (!parts || parts.length < 4) return 'SignedData is not a SEQUENCE of at least four elements';
  const encap = children(buf, parts[2]!) ?? [];
  const signerInfos = parts[parts.length - 1]!;
  if (signerInfos.tag !== 0x31) return 'signerInfos is not a SET';
  const [si] = children(buf, signerInfos) ?? [];
  const fields = si && si.tag === 0x30 ? children(buf, si) : undefined;
  if (!fields) return 'no SignerInfo';
  const attrs = fields.find((f) => f.tag === 0xa0);
  const signature = fields.find((f) => f.tag === 0x04);
  if (!attrs || !signature) return 'the SignerInfo has no signed attributes or no signature';
  let messageDigest: Buffer | undefined;
  for (const attr of children(buf, attrs) ?? []) {
    const [oid, values] = children(buf, attr) ?? [];
    if (oid?.tag === 0x06 && buf.subarray(oid.start, oid.end).equals(MESSAGE_DIGEST) && values) {
      const [v] = children(buf, values) ?? [];
      if (v?.tag === 0x04) messageDigest = buf.subarray(v.start, v.end);
    }
  }
  if (!messageDigest) return 'no messageDigest signed attribute';
  // §5.4: the signature covers the DER of the attributes with the SET OF tag, not the [0] IMPLICIT tag they carry.
  const signedAttrs = Buffer.from(buf.subarray(attrs.at, attrs.end));
  signedAttrs[0] = 0x31;
  return { signedAttrs, messageDigest, signature: buf.subarray(signature.start, signature.end), attached: encap.length > 1 };
}
