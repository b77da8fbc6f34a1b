// The two algorithms issue #6 measures, as the service names them on each layer: the key the admin API creates,
// the SAM's key algorithm and digest scheme for the raw rate, and the CSC signAlgo a client sends (CSC v2 §11.10).
import type { KeyAlgo } from '../core/sam_port.ts';
import type { DigestSignScheme } from '../sam/hsm/hsm.ts';

export type AlgoName = 'p256' | 'rsa2048';

export const ALGOS: Record<AlgoName, { adminAlgo: string; rsaBits?: number; keyAlgo: KeyAlgo; scheme: DigestSignScheme; signAlgo: string; label: string }> = {
  p256: { adminAlgo: 'ES256', keyAlgo: 'EC-P256', scheme: { kind: 'ecdsa' }, signAlgo: '1.2.840.10045.4.3.2', label: 'ECDSA P-256' },
  rsa2048: {
    adminAlgo: 'RS256',
    rsaBits: 2048,
    keyAlgo: 'RSA-2048',
    scheme: { kind: 'rsa-pkcs1', hash: 'SHA-256' },
    signAlgo: '1.2.840.113549.1.1.11',
    label: 'RSA-2048 PKCS#1 v1.5',
  },
};

/** SHA-256: every scenario signs SHA-256 digests. */
export const SHA256_OID = '2.16.840.1.101.3.4.2.1';
