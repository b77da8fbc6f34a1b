// What signHash reads before any check: the SAD's record and the credential's, in one round trip (docs/performance.md:
// every query of the hot path costs a loopback write and a wake-up of PostgreSQL). Both halves may be missing, each
// on its own, so that the use case still answers "unknown SAD" and "unknown credential" apart and in its own order.
//
// With `fresh`, the same statement also consumes a first use of the SAD (sam/app/sign_hash.ts has run every check
// on the rows it expects): the UPDATE applies only to a SAD never used, still signable exactly as expected, not
// revoked, not expired, of a credential still carrying the seal the checks saw and no lock. Its audit row is in the
// same statement, so both commit or neither does (DESIGN §2.3). The rows returned are as they were before the
// update (one snapshot), for the checks to run again on what the database really held.
import { prepared } from '../../core/db.ts';
import { CREDENTIAL_COLUMNS, credentialFromRow, type CredentialRecord, type CredentialRow, type CredentialSeal } from './credentials.ts';
import type { Queryable } from './queryable.ts';
import { SAD_COLUMNS, sadFromRow, type SadRecord, type SadRow } from './sads.ts';

const aliased = (columns: string, table: string) =>
  columns.split(', ').map((c) => `${table}.${c} AS ${table}_${c}`).join(', ');

const READ = `SELECT s.jti IS NOT NULL AS has_sad, c.credential_id IS NOT NULL AS has_credential,
  ${aliased(SAD_COLUMNS, 's')}, ${aliased(CREDENTIAL_COLUMNS, 'c')}
  FROM (VALUES (1)) AS one
  LEFT JOIN sam.sads s ON s.jti = $1
  LEFT JOIN sam.credentials c ON c.credential_id = $2`;

// $3 signatures, $4 what stays signable, $5 what must be signable now (all of it), $6 now, $7 the credential's seal.
const CONSUME_FRESH = `UPDATE sam.sads SET used = used + $3, hashes = $4::bytea[]
  WHERE jti = $1 AND credential_id = $2 AND used = 0 AND hashes IS NOT DISTINCT FROM $5::bytea[]
    AND revoked_at IS NULL AND expires_at > $6
    AND EXISTS (SELECT 1 FROM sam.credentials WHERE credential_id = $2 AND seal = $7 AND locked_at IS NULL)
  RETURNING jti`;

/** A first use of the SAD, as the caller's checks expect it (see above). */
export type FreshConsumption = {
  requested: Uint8Array[];
  /** The SAD's hash list before this use (the requested hashes, for a SAD bound to them), or null (count only). */
  expectedHashes: Uint8Array[] | null;
  /** What stays signable after it (empty, or null for a count-only SAD). */
  remaining: Uint8Array[] | null;
  now: Date;
  credentialSeal: Buffer;
  /** The audit append (auditAppendCall), given the number of its first parameter. */
  alongside: (firstParam: number) => { sql: string; params: unknown[] };
};

export type SignState = {
  sad: SadRecord | null;
  credential: CredentialRecord | null;
  /** The credential row's seal bytes (recent_credentials.ts keeps them with the record). */
  credentialSeal: Buffer | null;
  /** With `fresh`: whether the SAD was consumed and its audit row written by this statement. */
  consumed: boolean;
};

/** The columns of one table out of the joined row, under their own names. */
function part<T>(row: Record<string, unknown>, table: string): T {
  const prefix = `${table}_`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out as T;
}

const bytea = (list: Uint8Array[] | null) => list?.map((h) => Buffer.from(h)) ?? null;

export async function readSignState(
  q: Queryable,
  seal: CredentialSeal,
  jti: string,
  credentialId: string,
  fresh?: FreshConsumption,
): Promise<SignState> {
  let query;
  if (fresh) {
    const values = [jti, credentialId, fresh.requested.length, bytea(fresh.remaining), bytea(fresh.expectedHashes), fresh.now, fresh.credentialSeal];
    const also = fresh.alongside(values.length + 1);
    const text = `WITH consumed AS (${CONSUME_FRESH}), appended AS (SELECT ${also.sql} FROM consumed)
      ${READ.replace('FROM (VALUES (1)) AS one', ', (SELECT count(*) FROM appended)::int AS consumed FROM (VALUES (1)) AS one')}`;
    query = prepared(text, [...values, ...also.params]);
  } else {
    query = prepared(READ, [jti, credentialId]);
  }
  const { rows } = await q.query<Record<string, unknown>>(query);
  const row = rows[0]!;
  return {
    sad: row.has_sad ? sadFromRow(part<SadRow>(row, 's')) : null,
    credential: row.has_credential ? credentialFromRow(part<CredentialRow>(row, 'c'), seal) : null,
    credentialSeal: row.has_credential ? ((row.c_seal as Buffer | null) ?? null) : null,
    consumed: row.consumed === 1,
  };
}
