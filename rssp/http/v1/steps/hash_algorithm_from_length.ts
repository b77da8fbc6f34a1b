// v1 credentials/authorize and credentials/extendTransaction name no hash algorithm, yet a SAD commits to digests
// of one algorithm (DESIGN §2.2). The digest length tells it for every algorithm we sign with (SHA-256: 32 bytes,
// SHA-384: 48, SHA-512: 64); digests of another length, or of mixed lengths, cannot be authorized.
import { HASHES } from '../../../../core/algorithms.ts';
import { CscError } from '../../../../core/errors.ts';
import type { Step } from '../../step.ts';
import { bodyOf } from '../../steps/validate_body.ts';

const BY_LENGTH = new Map(Object.entries(HASHES).map(([oid, h]) => [h.length, oid]));

/** The hash algorithm OID of these digests; refused as 'Invalid digest value length' when there is none. */
function hashAlgorithmOfDigests(hashes: readonly Uint8Array[]): string {
  const oid = hashes.length ? BY_LENGTH.get(hashes[0]!.length) : undefined;
  if (!oid || hashes.some((h) => h.length !== hashes[0]!.length)) throw new CscError('invalidDigestLength');
  return oid;
}

/** Sets body.hashAlgorithmOID (the v2 name) from the decoded digests, when there are any. */
export function hashAlgorithmFromLength(op: 'credentials/authorize' | 'credentials/extendTransaction'): Step {
  return (ctx) => {
    const body = bodyOf(ctx, op);
    delete body.hashAlgorithmOID;
    if (ctx.state.hashes) body.hashAlgorithmOID = hashAlgorithmOfDigests(ctx.state.hashes);
  };
}
