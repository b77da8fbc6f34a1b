// Migration 019 (issue #13 item 3) moves the audit chain out of the wide sam.audit rows into sam.audit_link. A trail
// written by the previous schema (rows chained, a checkpoint signed over them, one row still waiting for its seal)
// must come out of the migration with the same seq, prev_hash and hash for every old record, its checkpoint still
// verifying, the waiting row chained next, and new rows continuing the chain. A database of this file's own, migrated
// by hand up to 018 and then by migrate(); a fake HSM signs the checkpoints.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuditExportVerifier, type AuditRecordLine } from '../../../core/audit_chain.ts';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { ensureAuditKey } from '../../../sam/audit/audit_key.ts';
import { writeAudit } from '../../../sam/audit/audit_log.ts';
import { writeCheckpoint } from '../../../sam/audit/checkpoints.ts';
import { exportAuditLines } from '../../../sam/audit/export.ts';
import { sealAudit } from '../../../sam/audit/seal.ts';
import { freshDatabase } from '../../db_fixtures.ts';
import { createFakeHsm } from '../../unit/sam/fake_hsm.ts';

const SAM_MIGRATIONS = path.resolve(import.meta.dirname, '../../../sam/migrations');

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;

beforeAll(async () => {
  database = await freshDatabase();
  db = createPool(database.url, 2);
  await migrate(db, ['authz', 'rssp']);
  // The SAM's schema as the previous version left it: every migration before 019, with its bookkeeping row.
  await db.query('CREATE SCHEMA sam');
  for (const file of readdirSync(SAM_MIGRATIONS).filter((f) => f.endsWith('.sql') && f < '019').sort()) {
    await db.query(readFileSync(path.join(SAM_MIGRATIONS, file), 'utf8'));
    await db.query("INSERT INTO public.schema_migrations (schema, name) VALUES ('sam', $1)", [file]);
  }
});

afterAll(async () => {
  await db?.end();
  await database?.drop();
});

const append = (note: string) => writeAudit(db, { event: 'admin', ctx: { requestId: randomUUID() }, detail: { note } }, 'ok');

it('keeps the chain bytes of old records, chains what was pending, and verifies old and new together', async () => {
  const hsm = createFakeHsm();
  const key = await ensureAuditKey(hsm);
  for (const note of ['one', 'two', 'three']) await append(note);
  await db.query('SELECT sam.audit_seal()'); // the 005 sealer, filling in the row's own chain columns
  expect((await writeCheckpoint(db, hsm, key))?.seq).toBe(3);
  await append('pending across the upgrade');
  const old = (await db.query("SELECT id::text, seq::int, encode(prev_hash, 'hex') AS prev, encode(hash, 'hex') AS hash FROM sam.audit WHERE seq IS NOT NULL ORDER BY seq")).rows;
  expect(old.map((r) => r.seq)).toEqual([1, 2, 3]);

  expect(await migrate(db)).toEqual(['sam/019_audit_link.sql']);

  const moved = (await db.query("SELECT audit_id::text AS id, seq::int, encode(prev_hash, 'hex') AS prev, encode(hash, 'hex') AS hash FROM sam.audit_link ORDER BY seq")).rows;
  expect(moved).toEqual(old);
  expect((await db.query('SELECT count(*)::int AS n FROM sam.audit_pending')).rows[0].n).toBe(1);
  await append('after the upgrade');
  expect(await sealAudit(db)).toBe(2);
  expect((await writeCheckpoint(db, hsm, key))?.seq).toBe(5);

  const verifier = new AuditExportVerifier();
  const records: AuditRecordLine[] = [];
  for await (const line of exportAuditLines(db, [key], {})) {
    verifier.push(line);
    if (line.type === 'record') records.push(line);
  }
  expect(records.map((r) => [r.seq, JSON.parse(r.detail!).note])).toEqual([
    [1, 'one'], [2, 'two'], [3, 'three'], [4, 'pending across the upgrade'], [5, 'after the upgrade'],
  ]);
  expect(records[3]!.prevHash).toBe(old[2]!.hash);
  const verdict = verifier.finish();
  expect(verdict.problems).toEqual([]);
  expect(verdict).toMatchObject({ intact: true, checkpoints: 2, signedUpTo: 5 });
});
