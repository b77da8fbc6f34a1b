// What the XML and JOSE formats need to know about the signer's algorithm: the hash, the signature scheme, the
// ECDSA integer size, and the names XMLDSig (RFC 6931) and JWS (RFC 7518 §3.1) give to the pair. XMLDSig and JWS
// name a signature algorithm by hash and scheme only, so RSASSA-PSS is offered only in the one shape both
// fix (RFC 6931 §2.3.10, RFC 7518 §3.5): MGF1 with the same hash, a salt as long as the hash, trailer 1.
import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { HASHES, SIGN_ALGOS, type HashName, type SignScheme } from '../../../core/algorithms.ts';
import { ecdsaDerToRaw } from '../../../core/ecdsa_der.ts';
import { DocumentFormatError, type Signer } from '../format.ts';

const ID_MGF1 = '1.2.840.113549.1.1.8';

/** ECDSA integer size by curve (node's names), and the only hash JWS pairs with each curve (RFC 7518 §3.4). */
const CURVES: Record<string, { size: number; jwsHash: HashName }> = {
  prime256v1: { size: 32, jwsHash: 'SHA-256' },
  secp384r1: { size: 48, jwsHash: 'SHA-384' },
  secp521r1: { size: 66, jwsHash: 'SHA-512' },
};

const BITS: Record<HashName, string> = { 'SHA-256': '256', 'SHA-384': '384', 'SHA-512': '512' };

/** XMLDSig DigestMethod URIs (RFC 6931 §2.1.3, XML Encryption §5.7.2). */
export const XML_DIGEST_URI: Record<HashName, string> = {
  'SHA-256': 'http://www.w3.org/2001/04/xmlenc#sha256',
  'SHA-384': 'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'SHA-512': 'http://www.w3.org/2001/04/xmlenc#sha512',
};

export type SignerAlgorithm = {
  scheme: SignScheme;
  hash: HashName;
  /** node:crypto's name of the hash. */
  nodeHash: string;
  /** XMLDSig SignatureMethod URI (RFC 6931 §2.3). */
  xmlSignatureUri: string;
  /** JWS "alg" (RFC 7518 §3.1), or undefined when JWS has no name for this pairing (ECDSA curve/hash mismatch). */
  jwsAlg?: string;
  /** The signature value as XMLDSig and JWS carry it: r || s for ECDSA, the PKCS#1 octets for RSA. */
  toRaw(samValue: Uint8Array): Uint8Array;
};

/** Refuses, with a message the client can act on, what neither XMLDSig nor JWS can name. */
export function signerAlgorithm(signer: Signer): SignerAlgorithm {
  const algo = SIGN_ALGOS[signer.signAlgo];
  if (!algo) throw new DocumentFormatError(`signAlgo ${signer.signAlgo} is not supported`);
  const hashInfo = HASHES[signer.hashAlgorithmOID];
  if (!hashInfo) throw new DocumentFormatError(`hashAlgorithmOID ${signer.hashAlgorithmOID} is not supported`);
  if (algo.hash && algo.hash !== hashInfo.name) {
    throw new DocumentFormatError(`signAlgo ${algo.label} does not match hashAlgorithmOID ${signer.hashAlgorithmOID}`);
  }
  const hash = hashInfo.name;
  const bits = BITS[hash];
  const base = { scheme: algo.scheme, hash, nodeHash: hashInfo.node };
  if (algo.scheme === 'ecdsa') {
    const curve = CURVES[signerCurve(signer)];
    if (!curve) throw new DocumentFormatError('the signer key is on a curve this format does not support');
    return {
      ...base,
      xmlSignatureUri: `http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha${bits}`,
      jwsAlg: curve.jwsHash === hash ? `ES${bits}` : undefined,
      toRaw: (der) => ecdsaDerToRaw(der, curve.size),
    };
  }
  if (algo.scheme === 'rsa-pss') {
    if (signer.signAlgoParams) checkPssParams(signer.signAlgoParams, hash);
    return { ...base, xmlSignatureUri: `http://www.w3.org/2007/05/xmldsig-more#sha${bits}-rsa-MGF1`, jwsAlg: `PS${bits}`, toRaw: (v) => v };
  }
  return { ...base, xmlSignatureUri: `http://www.w3.org/2001/04/xmldsig-more#rsa-sha${bits}`, jwsAlg: `RS${bits}`, toRaw: (v) => v };
}

function signerCurve(signer: Signer): string {
  const cert = signer.certificates[0];
  if (!cert) throw new DocumentFormatError('the signer has no certificate');
  return new X509Certificate(cert).publicKey.asymmetricKeyDetails?.namedCurve ?? '';
}

function checkPssParams(der: Uint8Array, hash: HashName): void {
  let params: RsaSaPssParams;
  let mgfHash: string | undefined;
  try {
    params = AsnConvert.parse(der, RsaSaPssParams);
    const p = params.maskGenAlgorithm.parameters;
    mgfHash = p ? AsnConvert.parse(p, AlgorithmIdentifier).algorithm : undefined;
  } catch {
    throw new DocumentFormatError('signAlgoParams is not DER RSASSA-PSS-params');
  }
  const ok =
    HASHES[params.hashAlgorithm.algorithm]?.name === hash &&
    params.maskGenAlgorithm.algorithm === ID_MGF1 &&
    mgfHash !== undefined &&
    HASHES[mgfHash]?.name === hash &&
    params.saltLength === HASHES[params.hashAlgorithm.algorithm]!.length &&
    params.trailerField === 1;
  if (!ok) {
    throw new DocumentFormatError(
      'RSASSA-PSS for XAdES and JAdES needs the hash of hashAlgorithmOID, MGF1 with that hash and a salt of the hash length',
    );
  }
}
