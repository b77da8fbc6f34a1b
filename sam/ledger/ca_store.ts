// CaStore over sam.ca: the development CA's certificate survives restarts next to its key in the HSM.
import type { CaStore } from '../ca/dev_ca.ts';
import type { Queryable } from './queryable.ts';

export function pgCaStore(q: Queryable): CaStore {
  return {
    async get(label) {
      const { rows } = await q.query<{ der: Buffer }>('SELECT der FROM sam.ca WHERE label = $1', [label]);
      return rows[0] ? new Uint8Array(rows[0].der) : null;
    },
    async put(label, der) {
      await q.query('INSERT INTO sam.ca (label, der) VALUES ($1, $2) ON CONFLICT (label) DO UPDATE SET der = EXCLUDED.der', [
        label,
        Buffer.from(der),
      ]);
    },
  };
}
