// Checkpoints name the newest checkpoint by number (regression of a bug found under the full suite): the
// predecessor of a new checkpoint, and the checkpoint an export starts from, were ordered by the text of their seq,
// so once seqs crossed a digit count ('9' > '11' > '10') a checkpoint chained onto an older one and the chain
// forked. A database of this file's own, so that the seqs are small and known; a fake HSM signs (the ordering is
// SQL's, not the token's).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuditExportVerifier } from '../../../core/audit_chain.ts';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { ensureAuditKey } from '../../../sam/audit/audit_key.ts';
import { writeAudit } from '../../../sam/audit/audit_log.ts';
import { writeCheckpoint } from '../../../sam/audit/checkpoints.ts';
import { exportAuditLines } from '../../../sam/audit/export.ts';
import { freshDatabase } from '../../db_fixtures.ts';
import { createFakeHsm } from '../../unit/sam/fake_hsm.ts';

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
const hsm = createFakeHsm();
let key: Awaited<ReturnType<typeof ensureAuditKey>>;
/** The seqs of the checkpoints written, in order. */
const written: number[] = [];

beforeAll(async () => {
  database = await freshDatabase();
  db = createPool(database.url, 2);
  await migrate(db);
});

afterAll(async () => {
  await db?.end();
  await database?.drop();
});

/** One record at a time, each followed by a checkpoint, until the head reaches `seq`. */
async function appendUntil(seq: number) {
  for (;;) {
    const { rows } = await db.query('SELECT seq FROM sam.audit_head');
    if (Number(rows[0]?.seq ?? 0) >= seq) return;
    await writeAudit(db, { event: 'admin', ctx: { requestId: randomUUID() } }, 'ok');
    await writeCheckpoint(db, hsm, key).then((l) => l && written.push(l.seq));
  }
}

it("a checkpoint at seq 11 names the one at 10, not the one at 9 ('11' < '9' as text), and the export verifies", async () => {
  key = await ensureAuditKey(hsm);
  await appendUntil(11);
  expect(written.slice(-3)).toEqual([9, 10, 11]);
  const { rows } = await db.query('SELECT seq::int, prev_seq::int FROM sam.audit_checkpoints ORDER BY seq');
  for (let i = 1; i < rows.length; i++) expect(rows[i]).toEqual({ seq: rows[i - 1].seq + 1, prev_seq: rows[i - 1].seq });

  const verifier = new AuditExportVerifier();
  for await (const line of exportAuditLines(db, [key], {})) verifier.push(line);
  const verdict = verifier.finish();
  expect(verdict.problems).toEqual([]);
  expect(verdict).toMatchObject({ intact: true, checkpoints: 11, signedUpTo: 11 });
});
