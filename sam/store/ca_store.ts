// CaStore over sam.ca: the development CA's certificate survives restarts next to its key in the HSM.
//
// Rows are scoped to the token (`<label>@<scope>`, scope = a fingerprint of a key only that token holds): SAM
// instances sharing one token share one root, while a second token pointed at the same database (a developer's
// second DATA_DIR, parallel test processes) gets its own root instead of being refused as a CA key mismatch.
import type { CaStore } from '../ca/dev_ca.ts';
import type { Queryable } from './queryable.ts';

export function pgCaStore(q: Queryable, scope?: string): CaStore {
  const key = (label: string) => (scope ? `${label}@${scope}` : label);
  return {
    async get(label) {
      const { rows } = await q.query<{ der: Buffer }>('SELECT der FROM sam.ca WHERE label = $1', [key(label)]);
      return rows[0] ? new Uint8Array(rows[0].der) : null;
    },
    async put(label, der) {
      // ensureDevCa writes only when the token has no root for its key: a new root replaces a stale one.
      await q.query('INSERT INTO sam.ca (label, der) VALUES ($1, $2) ON CONFLICT (label) DO UPDATE SET der = EXCLUDED.der', [
        key(label),
        Buffer.from(der),
      ]);
    },
  };
}
