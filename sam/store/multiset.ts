// The hashes a SAD still authorizes form a multiset: the same digest authorized twice may be signed twice, and
// each signature removes one occurrence (DESIGN §2.3).

/** Removes one occurrence of each requested hash from `remaining`; null when some request has no occurrence
 *  left. Pure, so that it can be tested on its own; byte comparison, order of `remaining` preserved. */
export function takeFromMultiset(remaining: readonly Uint8Array[], requested: readonly Uint8Array[]): Uint8Array[] | null {
  const left = [...remaining];
  for (const hash of requested) {
    const i = left.findIndex((h) => Buffer.compare(h, hash) === 0);
    if (i < 0) return null;
    left.splice(i, 1);
  }
  return left;
}
