// Export of the audit trail as JSON Lines (issue #4 item 5): a header with the checkpoint keys, the records the
// filter selects, the links of the records in between (so that the chain can be followed across them without
// revealing them), every row that has no place in the chain, and the checkpoints from the first exported seq on.
// core/audit_chain.ts verifies the result.
import {
  AUDIT_FORMAT,
  type AuditCheckpointLine,
  type AuditHeaderLine,
  type AuditLine,
  type AuditOmittedLine,
  type AuditRecordLine,
} from '../../core/audit_chain.ts';
import type { AuditFilter } from '../../core/audit_port.ts';
import type { Db } from '../../core/db.ts';
import type { AuditKey } from './audit_key.ts';

const at = (p: string) => `to_char(${p}at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const AT = at('');

type Row = {
  id: string;
  seq: string | null;
  prev_hash: string | null;
  hash: string | null;
  at_text: string;
  event: string;
  result: string;
  error_code: string | null;
  user_id: string | null;
  client_id: string | null;
  credential_id: string | null;
  hash_alg: string | null;
  sign_algo: string | null;
  hashes: string[] | null;
  sad_jti: string | null;
  num_signatures: number | null;
  amr: string[] | null;
  request_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
  detail: string | null;
  appended: boolean | null;
  matched: boolean;
};

/** The columns of a record as toRecordLine reads them; `p` qualifies them ('a.') inside a join. seq and id come out
 *  as text (bigint), so ORDER BY must name the table's columns (audit.seq), not these aliases. */
export const recordColumns = (p = '') => `${p}id::text AS id, ${p}seq::text AS seq, encode(${p}prev_hash, 'hex') AS prev_hash,
  encode(${p}hash, 'hex') AS hash, ${at(p)} AS at_text, ${[
    'event', 'result', 'error_code', 'user_id', 'client_id', 'credential_id', 'hash_alg', 'sign_algo', 'hashes', 'sad_jti',
    'num_signatures', 'amr', 'request_id', 'source_ip', 'user_agent', 'detail', 'appended',
  ].map((c) => p + c).join(', ')}`;

export function toRecordLine(r: Omit<Row, 'matched'>): AuditRecordLine {
  return {
    type: 'record',
    id: r.id,
    seq: r.seq === null ? null : Number(r.seq),
    prevHash: r.prev_hash,
    hash: r.hash,
    at: r.at_text,
    event: r.event,
    result: r.result,
    errorCode: r.error_code,
    userId: r.user_id,
    clientId: r.client_id,
    credentialID: r.credential_id,
    hashAlg: r.hash_alg,
    signAlgo: r.sign_algo,
    hashes: r.hashes,
    sadJti: r.sad_jti,
    numSignatures: r.num_signatures,
    amr: r.amr,
    requestId: r.request_id,
    sourceIp: r.source_ip,
    userAgent: r.user_agent,
    detail: r.detail,
    // Written by the service and not yet chained (sealed moments after commit); absent once sealed.
    ...(r.seq === null && r.appended ? { pending: true } : {}),
  };
}

function condition(filter: AuditFilter): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (filter.userId !== undefined) parts.push(`user_id = $${params.push(filter.userId)}`);
  if (filter.credentialID !== undefined) parts.push(`credential_id = $${params.push(filter.credentialID)}`);
  if (filter.from !== undefined) parts.push(`at >= $${params.push(filter.from)}`);
  if (filter.to !== undefined) parts.push(`at <= $${params.push(filter.to)}`);
  return { sql: parts.length ? parts.join(' AND ') : 'true', params };
}

/** Rows per query: an export of millions of records streams through in pages, never whole in memory. */
const PAGE = 1000;

/**
 * The export as a stream of lines: the header, the sealed rows in chain order, the rows outside the chain, then the
 * checkpoints. Read page by page (keyset, not OFFSET) inside one REPEATABLE READ READ ONLY transaction, so that the
 * pages make one snapshot: a row sealed while the export runs must not show up beyond the head that the header
 * names (the verifier would call it inserted). The connection is held until the last line is taken or the consumer
 * stops (`return()` on the generator rolls back and releases it).
 */
export async function* exportAuditLines(
  db: Db,
  keys: AuditKey[],
  filter: AuditFilter,
  now: Date = new Date(),
  tsaCertificates: Uint8Array[] = [],
): AsyncGenerator<AuditLine> {
  const cond = condition(filter);
  const c = await db.connect();
  let open = false;
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    open = true;
    const head = Number((await c.query<{ seq: string }>('SELECT seq FROM sam.audit_head')).rows[0]!.seq);
    let fromSeq = 1;
    if (cond.params.length > 0) {
      const { rows } = await c.query<{ min: string | null }>(`SELECT min(seq)::text AS min FROM sam.audit_chained audit WHERE ${cond.sql}`, cond.params);
      fromSeq = rows[0]!.min === null ? head + 1 : Number(rows[0]!.min);
    }
    const header: AuditHeaderLine = {
      type: 'header',
      format: AUDIT_FORMAT,
      exportedAt: now.toISOString(),
      headSeq: head,
      fromSeq,
      filter: Object.fromEntries(
        Object.entries(filter)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, v instanceof Date ? v.toISOString() : String(v)]),
      ),
      keys: keys.map((k) => ({ kid: k.kid, spki: Buffer.from(k.spki).toString('base64') })),
      ...(tsaCertificates.length ? { tsaCertificates: tsaCertificates.map((c) => Buffer.from(c).toString('base64')) } : {}),
    };
    yield header;

    const n = cond.params.length;
    const select = `SELECT ${recordColumns()}, coalesce(${cond.sql}, false) AS matched FROM sam.audit_chained audit`;
    // Sealed rows from fromSeq on, by (seq, id): a second row with one seq (an insertion) comes right after the first.
    let after: { seq: string; id: string } = { seq: String(fromSeq - 1), id: '0' };
    for (;;) {
      const { rows } = await c.query<Row>(
        `${select} WHERE seq IS NOT NULL AND (seq, id) > ($${n + 1}::bigint, $${n + 2}::bigint) ORDER BY audit.seq, audit.id LIMIT ${PAGE}`,
        [...cond.params, after.seq, after.id],
      );
      for (const r of rows) yield lineOf(r);
      if (rows.length < PAGE) break;
      after = { seq: rows.at(-1)!.seq!, id: rows.at(-1)!.id };
    }
    // Rows without a place in the chain: pending seals, or rows slipped in around sam.audit_append().
    let afterId = '0';
    for (;;) {
      const { rows } = await c.query<Row>(`${select} WHERE seq IS NULL AND id > $${n + 1}::bigint ORDER BY audit.id LIMIT ${PAGE}`, [
        ...cond.params,
        afterId,
      ]);
      for (const r of rows) yield lineOf(r);
      if (rows.length < PAGE) break;
      afterId = rows.at(-1)!.id;
    }
    // The checkpoints of the span, and the one right before it: the first of the span names it as its predecessor.
    let afterCp = String(fromSeq - 1);
    const before = await c.query<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM sam.audit_checkpoints WHERE seq <= $1::bigint ORDER BY audit_checkpoints.seq DESC LIMIT 1`,
      [afterCp],
    );
    for (const cp of before.rows) yield toCheckpointLine(cp);
    for (;;) {
      const { rows } = await c.query<CheckpointRow>(
        `SELECT ${CHECKPOINT_COLUMNS} FROM sam.audit_checkpoints WHERE seq > $1::bigint ORDER BY audit_checkpoints.seq LIMIT ${PAGE}`,
        [afterCp],
      );
      for (const cp of rows) yield toCheckpointLine(cp);
      if (rows.length < PAGE) break;
      afterCp = rows.at(-1)!.seq;
    }
    await c.query('COMMIT');
    open = false;
  } finally {
    // A consumer that stopped early (or a failed query) leaves the transaction open: end it before the connection
    // goes back to the pool.
    if (open) await c.query('ROLLBACK').catch(() => {});
    c.release();
  }
}

export type CheckpointRow = {
  seq: string;
  hash: string;
  at_text: string;
  kid: string;
  signature: Buffer;
  prev_seq: string | null;
  prev: string | null;
  timestamp_token: Buffer | null;
};

export const CHECKPOINT_COLUMNS = `seq::text AS seq, encode(hash, 'hex') AS hash, ${AT} AS at_text, kid, signature,
  prev_seq::text AS prev_seq, encode(prev, 'hex') AS prev, timestamp_token`;

export function toCheckpointLine(r: CheckpointRow): AuditCheckpointLine {
  return {
    type: 'checkpoint',
    seq: Number(r.seq),
    hash: r.hash,
    at: r.at_text,
    kid: r.kid,
    signature: r.signature.toString('base64'),
    ...(r.prev_seq === null || r.prev === null ? {} : { prevSeq: Number(r.prev_seq), prev: r.prev }),
    ...(r.timestamp_token ? { timestamp: r.timestamp_token.toString('base64') } : {}),
  };
}

/** A row outside the filter is shown by its links only; a row outside the chain always in full, being the anomaly the
 *  export exists to reveal. */
function lineOf(r: Row): AuditRecordLine | AuditOmittedLine {
  if (r.matched || r.seq === null) return toRecordLine(r);
  return { type: 'omitted', id: r.id, seq: Number(r.seq), prevHash: r.prev_hash, hash: r.hash };
}

/** The whole export in memory: for tests and small spans; the admin API streams exportAuditLines. */
export async function exportAudit(
  db: Db,
  keys: AuditKey[],
  filter: AuditFilter,
  now: Date = new Date(),
  tsaCertificates: Uint8Array[] = [],
): Promise<AuditLine[]> {
  const lines: AuditLine[] = [];
  for await (const l of exportAuditLines(db, keys, filter, now, tsaCertificates)) lines.push(l);
  return lines;
}
