// Algorithm OIDs the kit understands (CSC v2 §7.6 expresses algorithms as dotted OIDs).

export const HASH_BY_OID: Record<string, { node: 'sha256' | 'sha384' | 'sha512'; length: number }> = {
  '2.16.840.1.101.3.4.2.1': { node: 'sha256', length: 32 },
  '2.16.840.1.101.3.4.2.2': { node: 'sha384', length: 48 },
  '2.16.840.1.101.3.4.2.3': { node: 'sha512', length: 64 },
};

export const SHA256_OID = '2.16.840.1.101.3.4.2.1';

export type Scheme = 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss';

/** Signature algorithm OIDs: combined ones imply their hash; key OIDs and RSASSA-PSS need hashAlgorithmOID. */
export const SIGN_ALGO_OIDS: Record<string, { scheme: Scheme; key: 'EC' | 'RSA'; hash?: string; label: string }> = {
  '1.2.840.10045.4.3.2': { scheme: 'ecdsa', key: 'EC', hash: '2.16.840.1.101.3.4.2.1', label: 'ecdsa-with-SHA256' },
  '1.2.840.10045.4.3.3': { scheme: 'ecdsa', key: 'EC', hash: '2.16.840.1.101.3.4.2.2', label: 'ecdsa-with-SHA384' },
  '1.2.840.10045.4.3.4': { scheme: 'ecdsa', key: 'EC', hash: '2.16.840.1.101.3.4.2.3', label: 'ecdsa-with-SHA512' },
  '1.2.840.10045.2.1': { scheme: 'ecdsa', key: 'EC', label: 'ecPublicKey' },
  '1.2.840.113549.1.1.11': { scheme: 'rsa-pkcs1', key: 'RSA', hash: '2.16.840.1.101.3.4.2.1', label: 'sha256WithRSAEncryption' },
  '1.2.840.113549.1.1.12': { scheme: 'rsa-pkcs1', key: 'RSA', hash: '2.16.840.1.101.3.4.2.2', label: 'sha384WithRSAEncryption' },
  '1.2.840.113549.1.1.13': { scheme: 'rsa-pkcs1', key: 'RSA', hash: '2.16.840.1.101.3.4.2.3', label: 'sha512WithRSAEncryption' },
  '1.2.840.113549.1.1.1': { scheme: 'rsa-pkcs1', key: 'RSA', label: 'rsaEncryption' },
  '1.2.840.113549.1.1.10': { scheme: 'rsa-pss', key: 'RSA', label: 'RSASSA-PSS' },
};

/** Curve OIDs by the JWK curve name Node reports for a certificate key. */
export const CURVE_OID_BY_NAME: Record<string, string> = {
  'P-256': '1.2.840.10045.3.1.7',
  'P-384': '1.3.132.0.34',
  'P-521': '1.3.132.0.35',
};

export const DOTTED_OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;
