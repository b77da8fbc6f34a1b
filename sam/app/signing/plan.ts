// Which scheme and hash a signHash call signs with (CSC v2 §11.10, DESIGN §2.3). The hash algorithm is implied
// by a combined signAlgo (sha256WithRSAEncryption, ecdsa-with-SHA256), else given by hashAlgorithmOID, else, for
// RSASSA-PSS, by signAlgoParams; whichever way, it must agree with every other statement of it, including the
// hash algorithm the SAD was activated for. Disagreement is refused, never resolved by picking one.
import { HASH_OID, HASHES, SIGN_ALGOS, signAlgosFor, type HashName } from '../../../core/algorithms.ts';
import { SamError, type KeyAlgo } from '../../../core/sam_port.ts';
import type { DigestSignScheme } from '../../hsm/hsm.ts';
import { parsePssParams } from './pss_params.ts';

export type SigningPlan = { scheme: DigestSignScheme; hash: HashName; hashOid: string };

function requireSignAlgoAllowed(signAlgo: string, key: { keyAlgo: KeyAlgo; pssOnly: boolean }): void {
  if (!signAlgosFor(key.keyAlgo, key.pssOnly).includes(signAlgo)) throw new SamError('SAM_SIGN_ALGO_INVALID');
}

export function planSigning(
  req: { signAlgo: string; hashAlgorithmOID?: string; signAlgoParams?: Uint8Array },
  key: { keyAlgo: KeyAlgo; pssOnly: boolean; modulusBits?: number },
  sadHashAlg: string | null,
): SigningPlan {
  requireSignAlgoAllowed(req.signAlgo, key);
  const algo = SIGN_ALGOS[req.signAlgo];
  if (!algo) throw new SamError('SAM_SIGN_ALGO_INVALID');
  if (req.hashAlgorithmOID !== undefined && !HASHES[req.hashAlgorithmOID]) throw new SamError('SAM_HASH_ALG_INVALID');

  let scheme: DigestSignScheme;
  let hash: HashName;
  if (algo.scheme === 'rsa-pss') {
    if (!req.signAlgoParams) throw new SamError('SAM_SIGN_ALGO_PARAMS_INVALID', 'RSASSA-PSS needs signAlgoParams');
    const pss = parsePssParams(req.signAlgoParams, key.modulusBits ?? 0);
    hash = pss.hash;
    scheme = { kind: 'rsa-pss', ...pss };
  } else {
    const given = algo.hash ?? (req.hashAlgorithmOID ? HASHES[req.hashAlgorithmOID]?.name : undefined);
    if (!given) throw new SamError('SAM_HASH_ALG_INVALID', 'hashAlgorithmOID required with this signAlgo');
    hash = given;
    scheme = algo.scheme === 'ecdsa' ? { kind: 'ecdsa' } : { kind: 'rsa-pkcs1', hash };
  }
  const hashOid = HASH_OID[hash];
  if (req.hashAlgorithmOID !== undefined && req.hashAlgorithmOID !== hashOid) {
    throw new SamError('SAM_HASH_ALG_MISMATCH', 'hashAlgorithmOID differs from the signature algorithm');
  }
  if (sadHashAlg !== null && sadHashAlg !== hashOid) {
    throw new SamError('SAM_HASH_ALG_MISMATCH', 'hash algorithm differs from the one authorized');
  }
  return { scheme, hash, hashOid };
}
