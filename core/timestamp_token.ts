// Reading and checking an RFC 3161 TimeStampToken (a CMS SignedData whose content is a TSTInfo, RFC 3161 §2.4.2,
// with the ESS signing-certificate attribute of RFC 5816). Pure and synchronous (Node's crypto, no WebCrypto
// engine, no database, no HSM), so that the SAM (checking what an external TSA answered), the audit verifier
// (checkpoint timestamps, core/audit_chain.ts) and an auditor's own copy of this file reach the same verdict.
import { createHash, verify, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { HASHES } from './algorithms.ts';

export const TSA_OIDS = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  /** ESS signing-certificate (RFC 2634 §5.4, SHA-1) and signing-certificate-v2 (RFC 5035 §3, RFC 5816). */
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  extKeyUsage: '2.5.29.37',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  sha1: '1.3.14.3.2.26',
} as const;

const ECDSA_SIG = new Set(['1.2.840.10045.2.1', '1.2.840.10045.4.3.2', '1.2.840.10045.4.3.3', '1.2.840.10045.4.3.4']);
const RSA_SIG = new Set(['1.2.840.113549.1.1.1', '1.2.840.113549.1.1.11', '1.2.840.113549.1.1.12', '1.2.840.113549.1.1.13']);

export type TimestampInfo = {
  policy: string;
  /** Hex of the serial number (RFC 3161 §2.4.2: unique for each token of this TSA). */
  serialNumber: string;
  genTime: Date;
  hashAlgorithmOID: string;
  hashedMessage: Uint8Array;
  nonce?: bigint;
  /** DER of the certificate whose key signed the token. */
  signerCertificate: Uint8Array;
};

export type TimestampExpectation = {
  /** The digest the token must carry as MessageImprint.hashedMessage, with its algorithm. */
  digest?: Uint8Array;
  hashAlgorithmOID?: string;
  /** When a nonce was sent, the token must echo it (RFC 3161 §2.4.2, CSC v2 §11.13 output). */
  nonce?: bigint;
  /** Certificates trusted for the TSA: the signer's certificate must be one of them or be issued by one of them.
   *  Absent or empty: the token is checked under the certificate it carries only. */
  trusted?: Uint8Array[];
};

export type TimestampVerdict = { ok: true; info: TimestampInfo } | { ok: false; reason: string };

class Refused extends Error {}

/** Every check of RFC 3161 §2.4.2 and RFC 5816 a relying party makes, and the expectations of the caller. */
export function verifyTimestampToken(der: Uint8Array, expect: TimestampExpectation = {}): TimestampVerdict {
  try {
    const info = check(der, expect);
    return { ok: true, info };
  } catch (err) {
    return { ok: false, reason: err instanceof Refused ? err.message : `the token cannot be parsed (${(err as Error).message})` };
  }
}

/** Nonce of a request as the INTEGER it stands for: CSC v2 §11.13 sends it as a hex string. */
export function nonceFromHex(hex: string): bigint {
  if (!/^[0-9a-fA-F]{1,128}$/.test(hex)) throw new TypeError('nonce must be 1 to 128 hexadecimal digits');
  return BigInt(`0x${hex}`);
}

/** A non-negative integer in minimal DER INTEGER content octets (X.690 §8.3.2): a leading 0x00 only when the top
 *  bit would otherwise make it negative. */
export function integerBytes(n: bigint): Uint8Array {
  if (n < 0n) throw new RangeError('negative');
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const b = Buffer.from(hex, 'hex');
  return new Uint8Array(b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

function bigintOf(i: asn1js.Integer): bigint {
  const bytes = Buffer.from(i.valueBlock.valueHexView);
  if (bytes.length === 0) return 0n;
  if (bytes[0]! & 0x80) throw new Refused('the nonce is negative');
  return BigInt(`0x${bytes.toString('hex')}`);
}

function check(der: Uint8Array, expect: TimestampExpectation): TimestampInfo {
  const contentInfo = pkijs.ContentInfo.fromBER(der);
  if (contentInfo.contentType !== TSA_OIDS.signedData) throw new Refused('the token is not a CMS SignedData');
  const signed = new pkijs.SignedData({ schema: contentInfo.content });
  const encap = signed.encapContentInfo;
  if (encap.eContentType !== TSA_OIDS.tstInfo || !encap.eContent) throw new Refused('the token does not contain a TSTInfo');
  const tstDer = new Uint8Array(encap.eContent.getValue());
  const tst = pkijs.TSTInfo.fromBER(tstDer);
  if (tst.version !== 1) throw new Refused(`TSTInfo version ${tst.version} is not 1`);
  if (signed.signerInfos.length !== 1) throw new Refused('the token must have exactly one signer');
  const signer = signed.signerInfos[0]!;

  const hashOid = signer.digestAlgorithm.algorithmId;
  const hash = Object.hasOwn(HASHES, hashOid) ? HASHES[hashOid]! : undefined;
  if (!hash) throw new Refused(`unsupported digest algorithm ${hashOid}`);
  const attrs = signer.signedAttrs;
  if (!attrs) throw new Refused('the token has no signed attributes');
  const attr = (oid: string) => attrs.attributes.find((a) => a.type === oid);

  // RFC 5652 §11.1, §11.2: the content type and the digest of the TSTInfo are signed.
  const ct = attr(TSA_OIDS.contentType)?.values[0];
  if (!(ct instanceof asn1js.ObjectIdentifier) || ct.valueBlock.toString() !== TSA_OIDS.tstInfo) throw new Refused('the signed content type is not TSTInfo');
  const md = attr(TSA_OIDS.messageDigest)?.values[0];
  const tstDigest = createHash(hash.node).update(tstDer).digest();
  if (!(md instanceof asn1js.OctetString) || !tstDigest.equals(Buffer.from(md.valueBlock.valueHexView))) {
    throw new Refused('the signed message digest does not match the TSTInfo');
  }

  const certs = (signed.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const cert = signerCertificate(signer, certs);
  const certDer = new Uint8Array(cert.toSchema().toBER());
  checkEssCertificate(attr(TSA_OIDS.signingCertificateV2)?.values[0], attr(TSA_OIDS.signingCertificate)?.values[0], certDer);

  // The signature covers the DER of the signed attributes as a SET OF (RFC 5652 §5.4): the bytes as received,
  // with their [0] IMPLICIT tag read as SET.
  const signedAttrsDer = new Uint8Array(attrs.encodedValue.slice(0));
  signedAttrsDer[0] = 0x31;
  const x509 = new X509Certificate(certDer);
  const sigAlg = signer.signatureAlgorithm.algorithmId;
  if (!ECDSA_SIG.has(sigAlg) && !RSA_SIG.has(sigAlg)) throw new Refused(`unsupported signature algorithm ${sigAlg}`);
  const signature = Buffer.from(signer.signature.valueBlock.valueHexView);
  if (!verify(hash.node, signedAttrsDer, x509.publicKey, signature)) throw new Refused('the signature does not verify under the TSA certificate');

  // RFC 3161 §2.3: the TSA's certificate has exactly one extended key usage, id-kp-timeStamping, marked critical.
  const eku = (cert.extensions ?? []).filter((e) => e.extnID === TSA_OIDS.extKeyUsage);
  const purposes = (eku[0]?.parsedValue as pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? [];
  if (eku.length !== 1 || !eku[0]!.critical || purposes.length !== 1 || purposes[0] !== TSA_OIDS.timeStamping) {
    throw new Refused('the TSA certificate does not carry the critical extended key usage id-kp-timeStamping alone');
  }
  const genTime = tst.genTime;
  if (genTime < new Date(x509.validFrom) || genTime > new Date(x509.validTo)) throw new Refused('the TSA certificate was not valid at genTime');
  if (expect.trusted && expect.trusted.length > 0 && !isTrusted(x509, expect.trusted)) throw new Refused('the TSA certificate is not trusted');

  const info: TimestampInfo = {
    policy: policyOf(tstDer),
    serialNumber: Buffer.from(tst.serialNumber.valueBlock.valueHexView).toString('hex'),
    genTime,
    hashAlgorithmOID: tst.messageImprint.hashAlgorithm.algorithmId,
    hashedMessage: new Uint8Array(tst.messageImprint.hashedMessage.valueBlock.valueHexView),
    signerCertificate: certDer,
    ...(tst.nonce ? { nonce: bigintOf(tst.nonce) } : {}),
  };
  if (expect.hashAlgorithmOID !== undefined && info.hashAlgorithmOID !== expect.hashAlgorithmOID) {
    throw new Refused(`the message imprint uses ${info.hashAlgorithmOID}, not ${expect.hashAlgorithmOID}`);
  }
  if (expect.digest !== undefined && !Buffer.from(expect.digest).equals(Buffer.from(info.hashedMessage))) {
    throw new Refused('the message imprint is not the digest that was sent');
  }
  if (expect.nonce !== undefined && info.nonce !== expect.nonce) throw new Refused('the token does not echo the nonce that was sent');
  return info;
}

/** TSTInfo.policy in dotted form. Read from the DER, because asn1js prints an arc beyond 2^53 (a UUID arc under
 *  2.25, like our default policy) in hex. */
function policyOf(tstDer: Uint8Array): string {
  const seq = asn1js.fromBER(tstDer).result as asn1js.Sequence;
  const der = Buffer.from(seq.valueBlock.value[1]!.toBER());
  let i = 2;
  if (der[1]! & 0x80) i += der[1]! & 0x7f;
  const arcs: bigint[] = [];
  let v = 0n;
  for (const b of der.subarray(i)) {
    v = (v << 7n) | BigInt(b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0n;
    }
  }
  const first = arcs[0]! < 80n ? arcs[0]! / 40n : 2n;
  return [first, arcs[0]! - first * 40n, ...arcs.slice(1)].join('.');
}

function signerCertificate(signer: pkijs.SignerInfo, certs: pkijs.Certificate[]): pkijs.Certificate {
  const sid = signer.sid;
  const found = certs.find((c) => {
    if (sid instanceof pkijs.IssuerAndSerialNumber) {
      return sid.serialNumber.isEqual(c.serialNumber) && Buffer.from(sid.issuer.toSchema().toBER()).equals(Buffer.from(c.issuer.toSchema().toBER()));
    }
    // [0] SubjectKeyIdentifier
    const ski = (c.extensions ?? []).find((e) => e.extnID === '2.5.29.14')?.parsedValue as asn1js.OctetString | undefined;
    return sid instanceof asn1js.Constructed || sid instanceof asn1js.Primitive
      ? ski !== undefined && Buffer.from(ski.valueBlock.valueHexView).equals(Buffer.from((sid as asn1js.Primitive).valueBlock.valueHexView))
      : false;
  });
  if (!found) throw new Refused('the token does not include the certificate of its signer');
  return found;
}

/** RFC 5816 §2.2.1 / RFC 2634 §5.4: the first ESSCertID(v2) names the signer's certificate by its hash. */
function checkEssCertificate(v2: unknown, v1: unknown, certDer: Uint8Array): void {
  const value = (v2 ?? v1) as asn1js.Sequence | undefined;
  if (!(value instanceof asn1js.Sequence)) throw new Refused('the token has no ESS signing-certificate attribute');
  const certIds = value.valueBlock.value[0];
  const first = certIds instanceof asn1js.Sequence ? certIds.valueBlock.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence)) throw new Refused('the ESS signing-certificate attribute is malformed');
  const parts = first.valueBlock.value;
  let alg = v2 ? '2.16.840.1.101.3.4.2.1' : TSA_OIDS.sha1;
  let i = 0;
  if (v2 && parts[0] instanceof asn1js.Sequence) {
    alg = new pkijs.AlgorithmIdentifier({ schema: parts[0] }).algorithmId;
    i = 1;
  }
  const certHash = parts[i];
  const node = alg === TSA_OIDS.sha1 ? 'sha1' : Object.hasOwn(HASHES, alg) ? HASHES[alg]!.node : undefined;
  if (!(certHash instanceof asn1js.OctetString) || !node) throw new Refused('the ESS signing-certificate attribute is malformed');
  if (!createHash(node).update(certDer).digest().equals(Buffer.from(certHash.valueBlock.valueHexView))) {
    throw new Refused('the ESS signing-certificate attribute names another certificate');
  }
}

function isTrusted(cert: X509Certificate, trusted: Uint8Array[]): boolean {
  return trusted.some((t) => {
    try {
      const anchor = new X509Certificate(t);
      if (Buffer.from(anchor.raw).equals(Buffer.from(cert.raw))) return true;
      return cert.checkIssued(anchor) && cert.verify(anchor.publicKey);
    } catch {
      return false;
    }
  });
}
