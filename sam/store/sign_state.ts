// What signHash reads before any check: the SAD's record and the credential's, in one round trip (docs/performance.md:
// every query of the hot path costs a loopback write and a wake-up of PostgreSQL). Both halves may be missing, each
// on its own, so that the use case still answers "unknown SAD" and "unknown credential" apart and in its own order.
import { prepared } from '../../core/db.ts';
import { CREDENTIAL_COLUMNS, credentialFromRow, type CredentialRecord, type CredentialRow, type CredentialSeal } from './credentials.ts';
import type { Queryable } from './queryable.ts';
import { SAD_COLUMNS, sadFromRow, type SadRecord, type SadRow } from './sads.ts';

const aliased = (columns: string, table: string) =>
  columns.split(', ').map((c) => `${table}.${c} AS ${table}_${c}`).join(', ');

const SQL = `SELECT s.jti IS NOT NULL AS has_sad, c.credential_id IS NOT NULL AS has_credential,
  ${aliased(SAD_COLUMNS, 's')}, ${aliased(CREDENTIAL_COLUMNS, 'c')}
  FROM (VALUES (1)) AS one
  LEFT JOIN sam.sads s ON s.jti = $1
  LEFT JOIN sam.credentials c ON c.credential_id = $2`;

/** The columns of one table out of the joined row, under their own names. */
function part<T>(row: Record<string, unknown>, table: string): T {
  const prefix = `${table}_`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out as T;
}

export async function readSignState(
  q: Queryable,
  seal: CredentialSeal,
  jti: string,
  credentialId: string,
): Promise<{ sad: SadRecord | null; credential: CredentialRecord | null }> {
  const { rows } = await q.query<Record<string, unknown>>(prepared(SQL, [jti, credentialId]));
  const row = rows[0]!;
  return {
    sad: row.has_sad ? sadFromRow(part<SadRow>(row, 's')) : null,
    credential: row.has_credential ? credentialFromRow(part<CredentialRow>(row, 'c'), seal) : null,
  };
}
