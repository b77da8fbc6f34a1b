// Reads an RFC 3161 TimeStampToken (a CMS SignedData whose content is a TSTInfo, RFC 3161 §2.4.2, RFC 5652 §5)
// with nothing but Node, as signatures/timestamp (CSC v2 §11.13) returns it: what it stamps (messageImprint), its
// nonce and time, and whether its signature verifies under a certificate it carries. Enough DER for that, no more.
import { createHash, verify, X509Certificate, constants } from 'node:crypto';
import { readElement } from './der.ts';
import { HASH_BY_OID } from './oids.ts';

type El = { tag: number; start: number; end: number; from: number };

const OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  rsaPss: '1.2.840.113549.1.1.10',
  timeStamping: '1.3.6.1.5.5.7.3.8',
};

export class TokenFormatError extends Error {
  override name = 'TokenFormatError';
}

function at(buf: Uint8Array, offset: number, tag?: number, what = 'element'): El {
  const e = readElement(buf, offset);
  if (!e) throw new TokenFormatError(`${what}: not DER at byte ${offset}`);
  if (tag !== undefined && e.tag !== tag) throw new TokenFormatError(`${what}: tag 0x${e.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return { ...e, from: offset };
}

function children(buf: Uint8Array, parent: El): El[] {
  const out: El[] = [];
  for (let o = parent.start; o < parent.end; ) {
    const e = at(buf, o);
    out.push(e);
    o = e.end;
  }
  if (out.length && out.at(-1)!.end !== parent.end) throw new TokenFormatError('trailing bytes inside an element');
  return out;
}

function oidOf(buf: Uint8Array, e: El): string {
  if (e.tag !== 0x06) throw new TokenFormatError('expected an OBJECT IDENTIFIER');
  const b = buf.subarray(e.start, e.end);
  const parts: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

const bytes = (buf: Uint8Array, e: El) => Buffer.from(buf.subarray(e.start, e.end));
const whole = (buf: Uint8Array, e: El) => Buffer.from(buf.subarray(e.from, e.end));

export type TimeStampTokenView = {
  hashAlgorithm: string;
  hashedMessage: Buffer;
  /** Hex, without leading zeros (RFC 3161 nonce INTEGER); undefined when the token has none. */
  nonce?: string;
  genTime: string;
  /** Whether the SignerInfo's signature verifies, and under which carried certificate; the reason otherwise. */
  signature: { ok: true; signer: X509Certificate } | { ok: false; reason: string };
};

export function readTimeStampToken(der: Uint8Array): TimeStampTokenView {
  const ci = at(der, 0, 0x30, 'ContentInfo');
  if (ci.end !== der.length) throw new TokenFormatError('bytes after the ContentInfo');
  const [type, explicit] = children(der, ci);
  if (!type || oidOf(der, type) !== OID.signedData || !explicit || explicit.tag !== 0xa0) throw new TokenFormatError('not a CMS SignedData');
  const sd = children(der, explicit)[0];
  if (!sd || sd.tag !== 0x30) throw new TokenFormatError('SignedData is not a SEQUENCE');
  const fields = children(der, sd);
  const encap = fields[2];
  if (!encap || encap.tag !== 0x30) throw new TokenFormatError('no encapContentInfo');
  const [eType, eWrap] = children(der, encap);
  if (!eType || oidOf(der, eType) !== OID.tstInfo) throw new TokenFormatError('the content is not a TSTInfo (id-ct-TSTInfo)');
  if (!eWrap || eWrap.tag !== 0xa0) throw new TokenFormatError('the TSTInfo is detached');
  const octets = children(der, eWrap)[0];
  // CMS is BER (RFC 5652 §1): the OCTET STRING may come in pieces (constructed, tag 0x24).
  let content: Buffer;
  if (octets?.tag === 0x04) content = bytes(der, octets);
  else if (octets?.tag === 0x24) content = Buffer.concat(children(der, octets).map((p) => (p.tag === 0x04 ? bytes(der, p) : fail('a piece of eContent is not an OCTET STRING'))));
  else throw new TokenFormatError('eContent is not an OCTET STRING');

  const tst = at(content, 0, 0x30, 'TSTInfo');
  const t = children(content, tst);
  const imprint = children(content, t[2] ?? fail('no messageImprint'));
  const alg = children(content, imprint[0] ?? fail('no hashAlgorithm'));
  const genTime = t[4];
  if (!genTime || genTime.tag !== 0x18) throw new TokenFormatError('no GeneralizedTime genTime');
  // After genTime: accuracy (SEQUENCE), ordering (BOOLEAN), nonce (INTEGER), tsa [0], extensions [1].
  const nonceEl = t.slice(5).find((e) => e.tag === 0x02);

  const certificates: X509Certificate[] = [];
  const certSet = fields.find((e) => e.tag === 0xa0);
  if (certSet) for (const c of children(der, certSet)) if (c.tag === 0x30) certificates.push(new X509Certificate(whole(der, c)));
  const signerInfos = fields.at(-1);
  if (!signerInfos || signerInfos.tag !== 0x31) throw new TokenFormatError('no signerInfos');
  const si = children(der, signerInfos)[0] ?? fail('no SignerInfo');

  return {
    hashAlgorithm: oidOf(content, alg[0] ?? fail('no hash OID')),
    hashedMessage: bytes(content, imprint[1] ?? fail('no hashedMessage')),
    ...(nonceEl ? { nonce: BigInt(`0x${bytes(content, nonceEl).toString('hex') || '0'}`).toString(16) } : {}),
    genTime: Buffer.from(content.subarray(genTime.start, genTime.end)).toString('latin1'),
    signature: checkSigner(der, si, content, certificates),
  };
}

function fail(why: string): never {
  throw new TokenFormatError(why);
}

function checkSigner(der: Uint8Array, si: El, content: Buffer, certificates: X509Certificate[]): TimeStampTokenView['signature'] {
  const f = children(der, si);
  const digestAlg = oidOf(der, children(der, f[2] ?? fail('no digestAlgorithm'))[0] ?? fail('no digest OID'));
  const attrs = f[3];
  if (!attrs || attrs.tag !== 0xa0) return { ok: false, reason: 'the SignerInfo has no signed attributes (RFC 3161 §2.4.2 needs them)' };
  const sigAlg = oidOf(der, children(der, f[4] ?? fail('no signatureAlgorithm'))[0] ?? fail('no signature OID'));
  const signature = bytes(der, f[5] ?? fail('no signature'));
  const hash = HASH_BY_OID[digestAlg]?.node;
  if (!hash) return { ok: false, reason: `digest algorithm ${digestAlg} is not one the kit knows` };

  let messageDigest: Buffer | undefined;
  let contentType: string | undefined;
  for (const a of children(der, attrs)) {
    const [type, values] = children(der, a);
    const value = values ? children(der, values)[0] : undefined;
    if (!type || !value) continue;
    const id = oidOf(der, type);
    if (id === OID.messageDigest) messageDigest = bytes(der, value);
    if (id === OID.contentType) contentType = oidOf(der, value);
  }
  if (contentType !== OID.tstInfo) return { ok: false, reason: 'the content-type attribute is not id-ct-TSTInfo' };
  if (!messageDigest || !createHash(hash).update(content).digest().equals(messageDigest)) {
    return { ok: false, reason: 'the message-digest attribute does not match the TSTInfo' };
  }
  // RFC 5652 §5.4: the signature is over the DER of the attributes as a SET OF, not under their [0] tag.
  const signed = whole(der, attrs);
  signed[0] = 0x31;
  if (!certificates.length) return { ok: false, reason: 'the token carries no certificate to verify it with' };
  for (const cert of certificates) {
    const key = cert.publicKey;
    const options =
      key.asymmetricKeyType === 'ec'
        ? { key, dsaEncoding: 'der' as const }
        : sigAlg === OID.rsaPss
          ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }
          : { key };
    try {
      if (verify(hash, signed, options, signature)) return { ok: true, signer: cert };
    } catch {
      /* not this certificate's kind of key */
    }
  }
  return { ok: false, reason: 'the signature verifies under none of the certificates the token carries' };
}

/** RFC 3161 §2.3: a TSA's certificate has the one extended key usage id-kp-timeStamping. */
export const isTimeStampingCertificate = (cert: X509Certificate): boolean =>
  Array.isArray(cert.keyUsage) && cert.keyUsage.includes(OID.timeStamping);
