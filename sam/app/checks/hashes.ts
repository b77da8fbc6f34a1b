// Hash-shape checks shared by activation (CSC v2 §11.8 hashes, hashAlgorithmOID) and signHash (§11.10).
import { HASHES } from '../../../core/algorithms.ts';
import { SamError } from '../../../core/sam_port.ts';

/** numSignatures ≥ 1 and never above the credential's multisign as the SAM stores it (CSC v2 §11.5, §11.6). */
export function requireNumSignatures(n: number, multisign: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new SamError('SAM_NUM_SIGNATURES_INVALID');
  if (n > multisign) throw new SamError('SAM_TOO_MANY_SIGNATURES', `${n} signatures, the credential allows ${multisign}`);
}

/** The hash algorithm OID must be one we sign with (SHA-2 only: CSC v2 §11.10 asks for SHA-256 or stronger). */
export function requireKnownHashAlg(oid: string | undefined): { oid: string; length: number } {
  const h = oid === undefined ? undefined : HASHES[oid];
  if (!oid || !h) throw new SamError('SAM_HASH_ALG_INVALID');
  return { oid, length: h.length };
}

export function requireHashLengths(hashes: readonly Uint8Array[], length: number): void {
  hashes.forEach((h, i) => {
    if (h.length !== length) throw new SamError('SAM_HASH_LENGTH', `hash ${i} has ${h.length} bytes, expected ${length}`);
  });
}
