// The SAD commits to the exact hash list it authorizes (DESIGN §2.2) without carrying it: SHA-256 over the
// canonical encoding of the list, each hash prefixed by its length as a 4-byte big-endian integer, in request
// order. Length prefixes make the encoding unambiguous, so two different lists never share a commitment.
import { createHash } from 'node:crypto';

export function hashListCommitment(hashes: readonly Uint8Array[]): string {
  const h = createHash('sha256');
  for (const hash of hashes) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(hash.length);
    h.update(len).update(hash);
  }
  return h.digest('base64url');
}
