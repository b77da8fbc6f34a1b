// Signature AlgorithmIdentifiers of X.509 certificates and PKCS#10 requests: the ones we produce with HSM keys,
// and the ones we accept when verifying a chain that an external CA issued.
import { constants, verify, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { HASHES, PSS_OID, type HashName } from '../../core/algorithms.ts';
import type { KeyAlgo } from '../../core/sam_port.ts';
import type { DigestSignScheme } from '../hsm/hsm.ts';

const ECDSA_WITH = { 'SHA-256': '1.2.840.10045.4.3.2', 'SHA-384': '1.2.840.10045.4.3.3', 'SHA-512': '1.2.840.10045.4.3.4' } as const;
const RSA_WITH = { 'SHA-256': '1.2.840.113549.1.1.11', 'SHA-384': '1.2.840.113549.1.1.12', 'SHA-512': '1.2.840.113549.1.1.13' } as const;
const NODE_HASH: Record<HashName, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
/** DER NULL: the parameters of the PKCS#1 v1.5 signature OIDs must be present and NULL (RFC 4055 §5). */
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

export type SigningAlgorithm = {
  identifier: AlgorithmIdentifier;
  hash: HashName;
  scheme: DigestSignScheme;
};

/**
 * How a key of ours signs a certificate or a request: ECDSA with the hash matching the curve strength
 * (RFC 5480 §4, SHA-256 for P-256, SHA-384 for P-384); sha256WithRSAEncryption for RSA. ECDSA identifiers carry
 * no parameters at all (RFC 5758 §3.2).
 */
export function signingAlgorithmFor(algo: KeyAlgo): SigningAlgorithm {
  switch (algo) {
    case 'EC-P256':
      return { identifier: new AlgorithmIdentifier({ algorithm: ECDSA_WITH['SHA-256'] }), hash: 'SHA-256', scheme: { kind: 'ecdsa' } };
    case 'EC-P384':
      return { identifier: new AlgorithmIdentifier({ algorithm: ECDSA_WITH['SHA-384'] }), hash: 'SHA-384', scheme: { kind: 'ecdsa' } };
    case 'RSA-2048':
    case 'RSA-3072':
      return {
        identifier: new AlgorithmIdentifier({ algorithm: RSA_WITH['SHA-256'], parameters: DER_NULL }),
        hash: 'SHA-256',
        scheme: { kind: 'rsa-pkcs1', hash: 'SHA-256' },
      };
  }
}

export function nodeHash(hash: HashName): string {
  return NODE_HASH[hash];
}

type Verifier = { hash: string; kind: 'ec' | 'rsa'; pssSaltLength?: number };

/**
 * Verifies `signature` over `data` under `key` for a signature AlgorithmIdentifier. Accepts ECDSA and RSA
 * PKCS#1 v1.5 with SHA-256/384/512 and RSASSA-PSS (RFC 4055 §3.1) whose MGF1 hash equals its hash; SHA-1 and
 * anything else is refused (returns a reason) rather than guessed at.
 */
export function verifySignature(
  algorithm: AlgorithmIdentifier,
  data: Uint8Array,
  signature: Uint8Array,
  key: KeyObject,
): { ok: true } | { ok: false; reason: string } {
  const v = verifierOf(algorithm);
  if (typeof v === 'string') return { ok: false, reason: v };
  if (key.asymmetricKeyType !== v.kind) return { ok: false, reason: `${v.kind.toUpperCase()} signature but the issuer key is ${key.asymmetricKeyType}` };
  try {
    const ok =
      v.pssSaltLength === undefined
        ? verify(v.hash, data, key, signature)
        : verify(v.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: v.pssSaltLength }, signature);
    return ok ? { ok: true } : { ok: false, reason: 'signature does not verify' };
  } catch {
    // Malformed signature encodings (e.g. a broken Ecdsa-Sig-Value) end here.
    return { ok: false, reason: 'signature does not verify' };
  }
}

function verifierOf(alg: AlgorithmIdentifier): Verifier | string {
  for (const [hash, oid] of Object.entries(ECDSA_WITH)) {
    if (alg.algorithm === oid) return { hash: NODE_HASH[hash as HashName], kind: 'ec' };
  }
  for (const [hash, oid] of Object.entries(RSA_WITH)) {
    if (alg.algorithm === oid) return { hash: NODE_HASH[hash as HashName], kind: 'rsa' };
  }
  if (alg.algorithm === PSS_OID) {
    if (!alg.parameters) return 'RSASSA-PSS without parameters';
    let params: RsaSaPssParams;
    let mgfHash: string | undefined;
    try {
      params = AsnConvert.parse(alg.parameters, RsaSaPssParams);
      const mgfParams = params.maskGenAlgorithm.parameters;
      mgfHash = mgfParams ? AsnConvert.parse(mgfParams, AlgorithmIdentifier).algorithm : undefined;
    } catch {
      return 'unparseable RSASSA-PSS parameters';
    }
    const hash = HASHES[params.hashAlgorithm.algorithm];
    if (!hash) return `unsupported RSASSA-PSS hash ${params.hashAlgorithm.algorithm}`;
    if (params.maskGenAlgorithm.algorithm !== '1.2.840.113549.1.1.8' || mgfHash !== params.hashAlgorithm.algorithm) {
      return 'unsupported RSASSA-PSS mask generation';
    }
    if (params.trailerField !== 1) return 'unsupported RSASSA-PSS trailer field';
    return { hash: hash.node, kind: 'rsa', pssSaltLength: params.saltLength };
  }
  return `unsupported signature algorithm ${alg.algorithm}`;
}
