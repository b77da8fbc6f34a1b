// The SAM's audit rows as a chain (issue #4 item 5): every row gets a seq and a hash that the verifier's encoding
// (core/audit_chain.ts) reproduces byte for byte, awkward values included; the lockout and the admin unlock are
// events of their own; the signHash row carries the SAD's factors. Real SAM code and PostgreSQL, fake HSM.
import { randomUUID, verify } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditExportVerifier, checkpointDigest, checkpointStatement, parseAnchors, recordHash, type AuditLine } from '../../../core/audit_chain.ts';
import { createPool } from '../../../core/db.ts';
import { createLogger } from '../../../core/log.ts';
import { ensureAuditKey } from '../../../sam/audit/audit_key.ts';
import { startCheckpointer, writeCheckpoint } from '../../../sam/audit/checkpoints.ts';
import { writeAudit } from '../../../sam/audit/audit_log.ts';
import { CHECKPOINT_COLUMNS, exportAuditLines, recordColumns, toCheckpointLine, toRecordLine } from '../../../sam/audit/export.ts';
import { fileAnchor } from '../../../sam/audit/anchor_file.ts';
import { sealAudit } from '../../../sam/audit/seal.ts';
import { authorize, ctx, digest, ECDSA_SHA256, expectRefusal, newSigner, otpAt, setup, type Env } from './helpers.ts';

let env: Env;

beforeAll(async () => {
  env = await setup();
});

afterAll(async () => {
  await env?.close();
});

/** The rows, once chained: appends are sealed after commit (sam/audit/seal.ts); no sealer runs in this file. */
async function records(where: string, params: unknown[]) {
  await sealAudit(env.db);
  const { rows } = await env.db.query(`SELECT ${recordColumns()} FROM sam.audit_chained audit WHERE ${where} ORDER BY audit.seq`, params);
  return rows.map(toRecordLine);
}

describe('audit chain in the SAM', () => {
  it('chains every row with a hash the verifier recomputes, for unusual text, empty and null arrays alike', async () => {
    const requestId = randomUUID();
    const odd = { requestId, sourceIp: '2001:db8::1', userAgent: 'Zürich ✓ "quoted" \\ back\nslash 𝄞' };
    await writeAudit(env.db, { event: 'admin', ctx: odd, detail: { action: 'test', note: 'ünïcödé' } }, 'ok');
    await writeAudit(env.db, { event: 'sign', ctx: odd, hashes: [], amr: [], numSignatures: 0, userId: '' }, 'refused', 'SAM_HASHES_REQUIRED');
    const rows = await records('request_id = $1', [requestId]);
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.seq).toBeGreaterThan(0);
      expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(recordHash(r)).toBe(r.hash);
    }
    expect(rows[1]!.hashes).toEqual([]);
    expect(rows[0]!.detail).toBe('{"action":"test","note":"ünïcödé"}');
  });

  it('an append takes no lock and no place until sealed; sealing chains it after what came before', async () => {
    const requestId = randomUUID();
    await writeAudit(env.db, { event: 'admin', ctx: { requestId } }, 'ok');
    const before = await env.db.query(
      'SELECT a.appended, p.id IS NOT NULL AS pending, l.audit_id IS NOT NULL AS linked FROM sam.audit a LEFT JOIN sam.audit_pending p ON p.id = a.id LEFT JOIN sam.audit_link l ON l.audit_id = a.id WHERE a.request_id = $1',
      [requestId],
    );
    expect(before.rows[0]).toEqual({ appended: true, pending: true, linked: false });
    const [row] = await records('request_id = $1', [requestId]);
    expect(row!.seq).toBeGreaterThan(0);
    const prev = await env.db.query("SELECT encode(hash, 'hex') AS hash FROM sam.audit_link WHERE seq = $1", [row!.seq! - 1]);
    expect(row!.prevHash).toBe(prev.rows[0].hash);
    expect(recordHash(row!)).toBe(row!.hash);
    const after = await env.db.query('SELECT count(*)::int AS n FROM sam.audit_pending WHERE id = $1', [row!.id]);
    expect(after.rows[0].n).toBe(0);
  });

  it('sealing writes links only: the record row stays as appended, and links cannot be rewritten (migration 019)', async () => {
    const requestId = randomUUID();
    await writeAudit(env.db, { event: 'admin', ctx: { requestId } }, 'ok');
    const ctid = async () => (await env.db.query('SELECT ctid::text AS t, xmin::text AS x FROM sam.audit WHERE request_id = $1', [requestId])).rows[0];
    const written = await ctid();
    const [row] = await records('request_id = $1', [requestId]);
    expect(await ctid()).toEqual(written); // no new version of the wide row
    await expect(env.db.query("UPDATE sam.audit_link SET hash = '\\x00' WHERE audit_id = $1", [row!.id])).rejects.toThrow('sam.audit_link is append-only');
    await expect(env.db.query('DELETE FROM sam.audit_link WHERE audit_id = $1', [row!.id])).rejects.toThrow('sam.audit_link is append-only');
  });

  it('a plain INSERT is refused: rows join the chain only through sam.audit_append()', async () => {
    await expect(env.db.query("INSERT INTO sam.audit (event, result) VALUES ('sign', 'ok')")).rejects.toThrow(
      'sam.audit is appended only through sam.audit_append()',
    );
  });

  it('the signHash row names the SAD and the factors it was issued on', async () => {
    const s = await newSigner(env);
    const h = digest('evidence');
    const sad = await authorize(env, s, [h]);
    const c = ctx();
    await env.sam.signHash({ ctx: c, sad, userId: s.userId, clientId: 'client-a', credentialID: s.credentialID, hashes: [h], signAlgo: ECDSA_SHA256 });
    const [row] = await records('request_id = $1', [c.requestId]);
    expect(row).toMatchObject({ event: 'sign', result: 'ok', amr: ['pwd', 'otp'], hashes: [Buffer.from(h).toString('base64')], clientId: 'client-a' });
    expect(recordHash(row!)).toBe(row!.hash);
  });

  it('the failure that locks a credential leaves a lockout row, and the admin unlock an unlock row', async () => {
    const s = await newSigner(env);
    for (let i = 0; i < 5; i++) {
      await expectRefusal(env, 'SAM_PIN_INVALID', async (c) =>
        env.sam.activate({
          ctx: c,
          userId: s.userId,
          clientId: 'client-a',
          credentialID: s.credentialID,
          numSignatures: 1,
          hashes: [digest('x')],
          hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
          factors: { pin: 'wrong', otp: await otpAt(env, s) },
        }),
      );
    }
    let events = (await records('credential_id = $1', [s.credentialID])).map((r) => `${r.event}:${r.result}`);
    expect(events.filter((e) => e === 'lockout:ok')).toHaveLength(1);
    // Written while the 5th attempt is judged, so just before that attempt's own refused row.
    expect(events.slice(-2)).toEqual(['lockout:ok', 'activate:refused']);
    const lockout = (await records("credential_id = $1 AND event = 'lockout'", [s.credentialID]))[0]!;
    expect(lockout).toMatchObject({ userId: s.userId, clientId: 'client-a', detail: '{"failures":5,"lastFailed":"pin"}' });
    await env.sam.unlock({ ctx: ctx(), credentialID: s.credentialID });
    events = (await records('credential_id = $1', [s.credentialID])).map((r) => `${r.event}:${r.result}`);
    expect(events.at(-1)).toBe('unlock:ok');
  });
});

describe('export', () => {
  const appendMany = (requestId: string, n: number) =>
    env.db.query(
      "SELECT sam.audit_append('admin', 'ok', null, null, null, null, null, null, null, null, null, null, $1, null, null, null) FROM generate_series(1, $2)",
      [requestId, n],
    );

  it('streams a trail of several pages in chain order, and the verifier finds the chain intact', async () => {
    const requestId = randomUUID();
    await appendMany(requestId, 2500); // 2.5 pages of 1 000 rows
    await sealAudit(env.db);
    const verifier = new AuditExportVerifier();
    let previous = 0;
    let mine = 0;
    for await (const l of exportAuditLines(env.db, [await ensureAuditKey(env.hsm)], {})) {
      verifier.push(l);
      if (l.type === 'record' && l.seq !== null) {
        expect(l.seq).toBeGreaterThan(previous);
        previous = l.seq;
        if (l.requestId === requestId) mine++;
      }
    }
    expect(mine).toBe(2500);
    const verdict = verifier.finish();
    // Other test files sign checkpoints with the audit keys of their own fake HSMs; the chain itself must hold.
    expect(verdict.problems.filter((p) => p.kind !== 'checkpoint')).toEqual([]);
    expect(verdict.records).toBeGreaterThanOrEqual(2500);
  });

  it('is one snapshot: rows sealed while it streams never show up beyond the head its header names', async () => {
    await appendMany(randomUUID(), 1500);
    await sealAudit(env.db);
    const lines = exportAuditLines(env.db, [], {});
    const header = (await lines.next()).value as Extract<AuditLine, { type: 'header' }>;
    const late = randomUUID();
    await appendMany(late, 50);
    await sealAudit(env.db);
    const after: AuditLine[] = [];
    for await (const l of lines) after.push(l);
    const sealed = after.filter((l) => (l.type === 'record' || l.type === 'omitted') && l.seq !== null);
    expect(sealed.length).toBeGreaterThan(1000);
    expect(Math.max(...sealed.map((l) => (l as { seq: number }).seq))).toBe(header.headSeq);
    expect(after.some((l) => l.type === 'record' && l.requestId === late)).toBe(false);
  });

  it('gives its connection back, transaction ended, when the reader stops early', async () => {
    const one = createPool(process.env.DATABASE_URL!, 1);
    try {
      let taken = 0;
      for await (const _ of exportAuditLines(one, [], {})) if (++taken === 3) break;
      // The only connection of this pool is free again and outside any transaction.
      const { rows } = await one.query("SELECT current_setting('transaction_isolation') AS iso, now() = statement_timestamp() AS fresh");
      expect(rows[0]).toEqual({ iso: 'read committed', fresh: true });
    } finally {
      await one.end();
    }
  });
});

describe('checkpoints', () => {
  it('are written every N records by the timer, signed by the audit key in the HSM, and cover those records', async () => {
    const key = await ensureAuditKey(env.hsm);
    const timer = startCheckpointer({ db: env.db, hsm: env.hsm, key, log: createLogger('silent'), everyRecords: 3, everyMinutes: 1440 });
    try {
      const requestId = randomUUID();
      for (let i = 0; i < 3; i++) await writeAudit(env.db, { event: 'admin', ctx: { requestId } }, 'ok');
      await timer.tick();
      const mine = await records('request_id = $1', [requestId]);
      const { rows } = await env.db.query(`SELECT ${CHECKPOINT_COLUMNS} FROM sam.audit_checkpoints ORDER BY audit_checkpoints.seq DESC LIMIT 1`);
      const cp = toCheckpointLine(rows[0]);
      const signature = Buffer.from(cp.signature, 'base64');
      // Other test files append to the same trail meanwhile: the checkpoint covers at least our three rows.
      expect(cp.seq).toBeGreaterThanOrEqual(mine.at(-1)!.seq!);
      expect(cp.kid).toBe(key.kid);
      expect(verify('sha256', checkpointStatement(cp), { key: key.publicKey, dsaEncoding: 'der' }, signature)).toBe(true);
      const forged = { ...cp, hash: '0'.repeat(64) };
      expect(verify('sha256', checkpointStatement(forged), { key: key.publicKey, dsaEncoding: 'der' }, signature)).toBe(false);
      // A checkpoint never signs the same head twice.
      const next = await writeCheckpoint(env.db, env.hsm, key);
      if (next !== null) expect(next.seq).toBeGreaterThan(cp.seq);
    } finally {
      timer.stop();
    }
  });

  it('name their predecessor, never fork when written concurrently, and are copied to the anchor file once committed', async () => {
    const key = await ensureAuditKey(env.hsm);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'anchors-')), 'a', 'anchors.jsonl');
    const anchor = fileAnchor(file);
    // Eight writers at once, each after a record of its own: the advisory lock makes them take turns.
    const written = await Promise.all(
      Array.from({ length: 8 }, async () => {
        await writeAudit(env.db, { event: 'admin', ctx: { requestId: randomUUID() } }, 'ok');
        return writeCheckpoint(env.db, env.hsm, key, new Date(), anchor);
      }),
    );
    const mine = written.filter((c) => c !== null);
    expect(mine.length).toBeGreaterThan(0);
    // One chain: each checkpoint this test wrote names a stored checkpoint by seq and digest, and none forks: each
    // names one at or after the previous of ours (other test files share the database and may write in between).
    const { rows } = await env.db.query(`SELECT ${CHECKPOINT_COLUMNS} FROM sam.audit_checkpoints WHERE audit_checkpoints.seq = ANY($1) ORDER BY audit_checkpoints.seq`, [
      mine.map((c) => c!.seq),
    ]);
    const all = rows.map(toCheckpointLine);
    expect(all.length).toBe(mine.length);
    for (let i = 0; i < all.length; i++) {
      const c = all[i]!;
      // The earlier test of this file wrote a checkpoint already: ours always have a predecessor.
      expect(c.prevSeq).toBeGreaterThan(0);
      const named = await env.db.query(`SELECT ${CHECKPOINT_COLUMNS} FROM sam.audit_checkpoints WHERE audit_checkpoints.seq = $1`, [c.prevSeq]);
      expect(named.rowCount).toBe(1);
      expect(c.prev).toBe(checkpointDigest(toCheckpointLine(named.rows[0])));
      if (i > 0) expect(c.prevSeq).toBeGreaterThanOrEqual(all[i - 1]!.seq);
    }
    // The anchor file holds exactly the checkpoints this test wrote, as stored.
    const anchored = parseAnchors(readFileSync(file, 'utf8'));
    expect(anchored.map((c) => c.seq)).toEqual(mine.map((c) => c!.seq).sort((a, b) => a - b));
    for (const a of anchored) expect(all.find((c) => c.seq === a.seq)).toEqual(a);
  });
});
