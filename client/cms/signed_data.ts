// CMS SignedData (RFC 5652 §5) for CAdES / PAdES baseline B-B (ETSI EN 319 122-1 §6.3, EN 319 142-1 §6.3),
// built in two halves so that many documents can share one remote authorization: `prepareSignerInfo` returns
// the DER of the signed attributes and their digest — the value sent to signatures/signHash — and `finish`
// wraps the signature value the service returns into a detached SignedData.
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

export const OIDS = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  /** id-aa-signatureTimeStampToken (RFC 3161 Appendix A): the unsigned attribute of CAdES/PAdES B-T. */
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
} as const;

export type HashAlg = 'sha256' | 'sha384' | 'sha512';

export const HASH_OIDS: Record<HashAlg, string> = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

const ECDSA_OIDS: Record<HashAlg, string> = { sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' };
const RSA_OIDS: Record<HashAlg, string> = { sha256: '1.2.840.113549.1.1.11', sha384: '1.2.840.113549.1.1.12', sha512: '1.2.840.113549.1.1.13' };

export type KeyKind = 'ec' | 'rsa';

export type SignatureScheme = { kind: KeyKind; hash: HashAlg; pss?: boolean };

/** The signAlgo to send (CSC v2 §11.10) and the AlgorithmIdentifier to write in the SignerInfo. */
export function signatureAlgorithm(s: SignatureScheme): { oid: string; params?: Uint8Array } {
  if (s.kind === 'ec') return { oid: ECDSA_OIDS[s.hash] };
  if (!s.pss) return { oid: RSA_OIDS[s.hash] };
  return { oid: OIDS.rsassaPss, params: pssParams(s.hash) };
}

/** RSASSA-PSS-params with MGF1 over the same hash and a salt as long as the hash (RFC 4055 §3.1, RFC 8017 §A.2.3). */
export function pssParams(hash: HashAlg): Uint8Array {
  const h = new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OIDS[hash], algorithmParams: new asn1js.Null() });
  const params = new pkijs.RSASSAPSSParams({
    hashAlgorithm: h,
    maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.113549.1.1.8', algorithmParams: h.toSchema() }),
    saltLength: { sha256: 32, sha384: 48, sha512: 64 }[hash],
  });
  return new Uint8Array(params.toSchema().toBER());
}

export function parseCertificate(der: Uint8Array): pkijs.Certificate {
  return pkijs.Certificate.fromBER(der);
}

export function keyKind(cert: pkijs.Certificate): KeyKind {
  const oid = cert.subjectPublicKeyInfo.algorithm.algorithmId;
  if (oid === OIDS.ecPublicKey) return 'ec';
  if (oid === OIDS.rsaEncryption || oid === OIDS.rsassaPss) return 'rsa';
  throw new Error(`unsupported certificate key algorithm ${oid}`);
}

function attribute(type: string, value: asn1js.AsnType): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] });
}

/** ESS signing-certificate-v2 (RFC 5035 §3): binds the signer's certificate into the signed attributes. */
function signingCertificateV2(cert: pkijs.Certificate, certDer: Uint8Array, hash: HashAlg): asn1js.Sequence {
  const essCertId: asn1js.AsnType[] = [];
  // hashAlgorithm is DEFAULT sha256 and so omitted for SHA-256 (DER forbids encoding a default value).
  if (hash !== 'sha256') essCertId.push(new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OIDS[hash] }).toSchema());
  essCertId.push(new asn1js.OctetString({ valueHex: createHash(hash).update(certDer).digest() }));
  essCertId.push(
    new asn1js.Sequence({
      value: [
        // GeneralNames with one directoryName [4] (EXPLICIT, as Name is a CHOICE).
        new asn1js.Sequence({ value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [cert.issuer.toSchema()] })] }),
        cert.serialNumber,
      ],
    }),
  );
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: essCertId })] })] });
}

export type PreparedSignerInfo = {
  /** DER of the signed attributes as a SET OF: the bytes the signature covers (RFC 5652 §5.4). */
  signedAttrsDer: Uint8Array;
  /** Digest of `signedAttrsDer`: what signatures/signHash signs. */
  toBeSigned: Uint8Array;
  finish(signature: Uint8Array, extra?: FinishOptions): Uint8Array;
};

export type FinishOptions = {
  /** Unsigned attributes of the SignerInfo (RFC 5652 §5.3), e.g. a signature-time-stamp for B-T levels. */
  unsignedAttributes?: pkijs.Attribute[];
  /** The content, for an attached (encapsulating) SignedData; absent: detached. */
  content?: Uint8Array;
};

/** The signature-time-stamp unsigned attribute (ETSI EN 319 122-1 §5.3): an RFC 3161 TimeStampToken over the
 *  SignerInfo's signature value. */
export function signatureTimeStampAttribute(token: Uint8Array): pkijs.Attribute {
  const parsed = asn1js.fromBER(token);
  if (parsed.offset === -1) throw new Error('the time-stamp token is not DER');
  return new pkijs.Attribute({ type: OIDS.signatureTimeStampToken, values: [parsed.result] });
}

export type PrepareSignerInfoOptions = {
  /** The end-entity certificate first, then its chain (as credentials/info returns it). */
  chain: Uint8Array[];
  scheme: SignatureScheme;
  /** Digest of the detached content (PDF byte ranges, or the whole file). */
  contentDigest: Uint8Array;
  /** CAdES carries the signing time as an attribute; PAdES must not (it goes in the signature dictionary /M). */
  signingTime?: Date;
};

export function prepareSignerInfo(opts: PrepareSignerInfoOptions): PreparedSignerInfo {
  const [leafDer, ...rest] = opts.chain;
  if (!leafDer) throw new Error('no signing certificate');
  const leaf = parseCertificate(leafDer);
  const attrs: pkijs.Attribute[] = [
    attribute(OIDS.contentType, new asn1js.ObjectIdentifier({ value: OIDS.data })),
    attribute(OIDS.messageDigest, new asn1js.OctetString({ valueHex: opts.contentDigest })),
    attribute(OIDS.signingCertificateV2, signingCertificateV2(leaf, leafDer, opts.scheme.hash)),
  ];
  if (opts.signingTime) attrs.push(attribute(OIDS.signingTime, new asn1js.UTCTime({ valueDate: opts.signingTime })));
  // DER orders a SET OF by its encodings (X.690 §11.6): a verifier that re-encodes the attributes before hashing
  // then gets the very bytes that were signed.
  const encoded = attrs.map((a) => ({ a, der: Buffer.from(a.toSchema().toBER()) })).sort((x, y) => Buffer.compare(x.der, y.der));
  const sorted = encoded.map((e) => e.a);
  const signedAttrsDer = new Uint8Array(new asn1js.Set({ value: sorted.map((a) => a.toSchema()) }).toBER());
  const toBeSigned = createHash(opts.scheme.hash).update(signedAttrsDer).digest();

  return {
    signedAttrsDer,
    toBeSigned,
    finish(signature: Uint8Array, extra: FinishOptions = {}): Uint8Array {
      const alg = signatureAlgorithm(opts.scheme);
      const signatureAlgorithmId = new pkijs.AlgorithmIdentifier({
        algorithmId: alg.oid,
        // RFC 4055 §5 / RFC 5754 §3.2: NULL parameters for the PKCS#1 v1.5 OIDs, absent for ECDSA.
        ...(alg.params ? { algorithmParams: asn1js.fromBER(alg.params).result } : opts.scheme.kind === 'rsa' ? { algorithmParams: new asn1js.Null() } : {}),
      });
      // RFC 5754 §2: the SHA-2 AlgorithmIdentifiers are written with absent parameters.
      const digestAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OIDS[opts.scheme.hash] });
      const signerInfo = new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: leaf.issuer, serialNumber: leaf.serialNumber }),
        digestAlgorithm,
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: sorted }),
        signatureAlgorithm: signatureAlgorithmId,
        signature: new asn1js.OctetString({ valueHex: signature }),
        ...(extra.unsignedAttributes?.length
          ? { unsignedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 1, attributes: extra.unsignedAttributes }) }
          : {}),
      });
      const signedData = new pkijs.SignedData({
        version: 1,
        digestAlgorithms: [digestAlgorithm],
        encapContentInfo: new pkijs.EncapsulatedContentInfo({
          eContentType: OIDS.data,
          ...(extra.content ? { eContent: new asn1js.OctetString({ valueHex: extra.content }) } : {}),
        }),
        certificates: [leaf, ...rest.map(parseCertificate)],
        signerInfos: [signerInfo],
      });
      const contentInfo = new pkijs.ContentInfo({ contentType: OIDS.signedData, content: signedData.toSchema(true) });
      return new Uint8Array(contentInfo.toSchema().toBER());
    },
  };
}
