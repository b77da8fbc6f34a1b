// RSASSA-PSS parameters as CSC v2 §11.10 passes them: signAlgoParams is the DER RSASSA-PSS-params of RFC 8017
// Appendix A.2.3 (RFC 4055 §3.1). We accept only what we can sign with and what is strong enough: SHA-2 hash,
// MGF1 with a SHA-2 hash, the standard trailer, a salt that fits the key.
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { HASHES, type HashName } from '../../../core/algorithms.ts';
import { SamError } from '../../../core/sam_port.ts';

const ID_MGF1 = '1.2.840.113549.1.1.8';

export type PssParams = { hash: HashName; mgfHash: HashName; saltLength: number };

export function parsePssParams(der: Uint8Array, modulusBits: number): PssParams {
  let params: RsaSaPssParams;
  try {
    params = AsnConvert.parse(der, RsaSaPssParams);
  } catch (err) {
    throw new SamError('SAM_SIGN_ALGO_PARAMS_INVALID', 'not DER RSASSA-PSS-params', { cause: err });
  }
  const hash = HASHES[params.hashAlgorithm.algorithm];
  if (!hash) throw new SamError('SAM_SIGN_ALGO_PARAMS_INVALID', 'unsupported hash');
  if (params.maskGenAlgorithm.algorithm !== ID_MGF1) {
    throw new SamError('SAM_SIGN_ALGO_PARAMS_INVALID', 'mask generation must be MGF1');
  }
  let mgfHashOid: string;
  try {
    const p = params.maskGenAlgorithm.parameters;
    if (!p) throw new Error('absent');
    mgfHashOid = AsnConvert.parse(p, AlgorithmIdentifier).algorithm;
  } catch (err) {
    throw new SamError('SAM_SIGN_ALGO_PARAMS_INVALID', 'MGF1 hash', { cause: err });
  }
  const mgfHash = HASHES[mgfHashOid];
  if (!mgfHash) throw new SamError('SAM_SIGN_ALGO_PARAMS_INVALID', 'unsupported MGF1 hash');
  if (params.trailerField !== 1) throw new SamError('SAM_SIGN_ALGO_PARAMS_INVALID', 'trailer field');
  // RFC 8017 §9.1.1 step 3: emLen >= hLen + sLen + 2, emLen = ceil((modBits - 1) / 8).
  const emLen = Math.ceil((modulusBits - 1) / 8);
  if (!Number.isInteger(params.saltLength) || params.saltLength < 0 || params.saltLength > emLen - hash.length - 2) {
    throw new SamError('SAM_SIGN_ALGO_PARAMS_INVALID', 'salt length');
  }
  return { hash: hash.name, mgfHash: mgfHash.name, saltLength: params.saltLength };
}
