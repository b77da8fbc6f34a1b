// Algorithm identifiers as CSC v2 §7.6 expresses them: OIDs in dotted form.

export type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';

export const HASHES: Record<string, { name: HashName; length: number; node: string }> = {
  '2.16.840.1.101.3.4.2.1': { name: 'SHA-256', length: 32, node: 'sha256' },
  '2.16.840.1.101.3.4.2.2': { name: 'SHA-384', length: 48, node: 'sha384' },
  '2.16.840.1.101.3.4.2.3': { name: 'SHA-512', length: 64, node: 'sha512' },
};

export const HASH_OID: Record<HashName, string> = {
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};

export const KEY_OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

export const CURVE_OID = {
  'P-256': '1.2.840.10045.3.1.7',
  'P-384': '1.3.132.0.34',
} as const;

export const PSS_OID = '1.2.840.113549.1.1.10';

export type SignScheme = 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss';

/**
 * What a signAlgo OID means. `hash` is set for combined OIDs (the hash is implied and hashAlgorithmOID may be
 * omitted, CSC v2 §11.10); it is absent for key OIDs and for RSASSA-PSS, whose hash comes from hashAlgorithmOID
 * or signAlgoParams.
 */
export const SIGN_ALGOS: Record<string, { scheme: SignScheme; hash?: HashName; label: string }> = {
  '1.2.840.10045.4.3.2': { scheme: 'ecdsa', hash: 'SHA-256', label: 'ecdsa-with-SHA256' },
  '1.2.840.10045.4.3.3': { scheme: 'ecdsa', hash: 'SHA-384', label: 'ecdsa-with-SHA384' },
  '1.2.840.10045.4.3.4': { scheme: 'ecdsa', hash: 'SHA-512', label: 'ecdsa-with-SHA512' },
  '1.2.840.10045.2.1': { scheme: 'ecdsa', label: 'ecPublicKey' },
  '1.2.840.113549.1.1.11': { scheme: 'rsa-pkcs1', hash: 'SHA-256', label: 'sha256WithRSAEncryption' },
  '1.2.840.113549.1.1.12': { scheme: 'rsa-pkcs1', hash: 'SHA-384', label: 'sha384WithRSAEncryption' },
  '1.2.840.113549.1.1.13': { scheme: 'rsa-pkcs1', hash: 'SHA-512', label: 'sha512WithRSAEncryption' },
  '1.2.840.113549.1.1.1': { scheme: 'rsa-pkcs1', label: 'rsaEncryption' },
  '1.2.840.113549.1.1.10': { scheme: 'rsa-pss', label: 'RSASSA-PSS' },
};

/** signAlgo values a credential's key admits, combined OIDs first (DESIGN §8: clients pick from key/algo). */
export function signAlgosFor(keyAlgo: string, pssOnly = false): string[] {
  if (keyAlgo.startsWith('EC-')) {
    return ['1.2.840.10045.4.3.2', '1.2.840.10045.4.3.3', '1.2.840.10045.4.3.4', '1.2.840.10045.2.1'];
  }
  if (pssOnly) return [PSS_OID];
  return ['1.2.840.113549.1.1.11', '1.2.840.113549.1.1.12', '1.2.840.113549.1.1.13', PSS_OID, '1.2.840.113549.1.1.1'];
}
