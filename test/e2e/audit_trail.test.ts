// Issue #4, "How it will be checked" (audit): after a session of signing, `audit:verify` passes; then one record is
// changed, one deleted, one inserted directly in PostgreSQL (each separately), and `audit:verify` fails naming it;
// a checkpoint whose signature was altered is caught too. The service runs as a process on a database of this
// file's own, so that tampering cannot disturb other test files.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuditLines, verifyAuditExport, type AuditRecordLine } from '../../core/audit_chain.ts';
import { admin, csc, type Server, startServer, tmpFile, totp } from './harness.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = promisify(execFile);
const DB_NAME = `rssp_audit_${process.pid}_${randomBytes(3).toString('hex')}`;

let server: Server;
let sql: pg.Client;
let username: string;
let credentialID: string;
let hashes: Buffer[];
let token: string;
let sadJti: string;

async function adminApi(p: string, body: unknown = {}): Promise<Response> {
  const token = readFileSync(path.join(server.dataDir, 'admin-token'), 'utf8').trim();
  return fetch(`${server.url}${p}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The live trail, exported and verified in this process (faster than the CLI; the CLI runs the same code). */
async function verifyLive() {
  const res = await adminApi('/admin/audit/export');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
  return verifyAuditExport(parseAuditLines(await res.text()));
}

/** Runs `fn` with triggers off for this session only (what someone with database access can do). */
async function asIntruder<T>(fn: () => Promise<T>): Promise<T> {
  await sql.query("SET session_replication_role = 'replica'");
  try {
    return await fn();
  } finally {
    await sql.query("SET session_replication_role = 'origin'");
  }
}

/** The record row at a place in the chain: the chain lives in sam.audit_link (sam/migrations/019_audit_link.sql). */
const AT_SEQ = 'id = (SELECT audit_id FROM sam.audit_link WHERE seq = $1)';

async function seqOf(where: string, params: unknown[] = []): Promise<number> {
  const { rows } = await sql.query(`SELECT seq::int AS seq FROM sam.audit_chained WHERE ${where} ORDER BY seq LIMIT 1`, params);
  expect(rows).toHaveLength(1);
  return rows[0].seq;
}

beforeAll(async () => {
  const a = new pg.Client({ connectionString: ADMIN_URL });
  await a.connect();
  await a.query(`CREATE DATABASE ${DB_NAME}`);
  await a.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  // The in-process store instead of the shared Redis: login throttling by other files' tests must not reach here.
  server = await startServer({ DATABASE_URL: url.toString(), REDIS_URL: '', AUDIT_CHECKPOINT_RECORDS: '5' });
  sql = new pg.Client({ connectionString: url.toString() });
  await sql.connect();

  // A session of signing: a user, a credential, a login, one authorization for two hashes, one signHash.
  username = `audit-${randomBytes(4).toString('hex')}`;
  const password = 'correct horse battery';
  expect((await admin(server, 'user:create', '--username', username, '--password', password, '--name', 'Audit Signer')).code).toBe(0);
  const enrolled = await admin(server, 'otp:enroll', '--username', username);
  const created = await admin(server, 'credential:create', '--username', username, '--algo', 'ES256', '--pin', '123456', '--multisign', '2');
  expect(created.code, created.stderr).toBe(0);
  credentialID = created.json.credentialID;
  const login = await csc(server, 'auth/login', {}, { basic: [username, password] });
  expect(login.status).toBe(200);
  hashes = ['contract', 'annex'].map((d) => createHash('sha256').update(d).digest());
  const auth = await csc(
    server,
    'credentials/authorize',
    {
      credentialID,
      numSignatures: 2,
      hashes: hashes.map((h) => h.toString('base64')),
      hashAlgorithmOID: SHA256,
      authData: [
        { id: 'PIN', value: '123456' },
        { id: 'OTP', value: await totp(enrolled.json.secret) },
      ],
    },
    { bearer: login.body.access_token },
  );
  expect(auth.status, JSON.stringify(auth.body)).toBe(200);
  const signed = await csc(
    server,
    'signatures/signHash',
    { credentialID, SAD: auth.body.SAD, hashes: hashes.map((h) => h.toString('base64')), signAlgo: ECDSA_SHA256 },
    { bearer: login.body.access_token },
  );
  expect(signed.status).toBe(200);
  token = login.body.access_token;
  sadJti = JSON.parse(Buffer.from(auth.body.SAD.split('.')[1], 'base64url').toString()).jti;
}, 180_000);

afterAll(async () => {
  await sql?.end();
  await server?.stop();
  const a = new pg.Client({ connectionString: ADMIN_URL });
  await a.connect();
  await a.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await a.end();
});

describe('audit trail', () => {
  it('holds the session: audit:verify exits 0, and the sign record names signer, client, IP, hashes and factors', async () => {
    const res = await admin(server, 'audit:verify');
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.intact).toBe(true);
    expect(res.json.problems).toEqual([]);
    expect(res.json.checkpoints).toBeGreaterThan(0);

    // JSON Lines on stdout: not one JSON document, so not through the harness's admin() that parses one.
    const exported = await run(process.execPath, ['--import', 'tsx', 'admin/cli.ts', 'audit:export', '--credential', credentialID], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: { ...server.env, ADMIN_URL: server.url },
    });
    const lines = parseAuditLines(exported.stdout);
    const records = lines.filter((l): l is AuditRecordLine => l.type === 'record');
    const sign = records.find((r) => r.event === 'sign' && r.result === 'ok')!;
    expect(sign).toMatchObject({
      credentialID,
      hashes: hashes.map((h) => h.toString('base64')),
      hashAlg: SHA256,
      signAlgo: ECDSA_SHA256,
      amr: ['pwd', 'otp'],
      sourceIp: expect.stringMatching(/127\.0\.0\.1/),
    });
    expect(sign.clientId).toMatch(/^login:/);
    expect(records.map((r) => r.event)).toEqual(expect.arrayContaining(['activate', 'sign', 'admin']));
    // A filtered export verifies on its own, from a file, against the key it names.
    const file = tmpFile('audit.jsonl', exported.stdout);
    const header = lines[0]!.type === 'header' ? lines[0] : undefined;
    const offline = await admin(server, 'audit:verify', '--file', file, '--kid', header!.keys[0]!.kid);
    expect(offline.code, offline.stderr).toBe(0);
    // A key the auditor did not pin is not trusted.
    const otherKey = await admin(server, 'audit:verify', '--file', file, '--kid', 'not-the-audit-key');
    expect(otherKey.code).toBe(1);
    expect(otherKey.stderr).toMatch(/checkpoint at seq \d+ was altered: its signature does not verify/);
  });

  it('names a record changed in SQL, and passes again once it is put back', async () => {
    const seq = await seqOf("event = 'sign' AND result = 'ok' AND credential_id = $1", [credentialID]);
    const { source_ip } = (await sql.query('SELECT source_ip FROM sam.audit_chained WHERE seq = $1', [seq])).rows[0];
    await asIntruder(() => sql.query(`UPDATE sam.audit SET source_ip = '10.66.66.66' WHERE ${AT_SEQ}`, [seq]));
    const res = await admin(server, 'audit:verify');
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`error: audit trail NOT intact: record seq ${seq} was altered: its content does not match its hash\n`);
    await asIntruder(() => sql.query(`UPDATE sam.audit SET source_ip = $2 WHERE ${AT_SEQ}`, [seq, source_ip]));
    expect((await verifyLive()).intact).toBe(true);
  });

  it('names a record deleted in SQL', async () => {
    const seq = await seqOf("event = 'activate' AND credential_id = $1", [credentialID]);
    const saved = (await sql.query(`SELECT * FROM sam.audit WHERE ${AT_SEQ}`, [seq])).rows[0];
    await asIntruder(() => sql.query(`DELETE FROM sam.audit WHERE ${AT_SEQ}`, [seq]));
    const verdict = await verifyLive();
    expect(verdict.intact).toBe(false);
    expect(verdict.problems[0]).toMatchObject({ kind: 'deleted', seq, message: `record seq ${seq} was deleted` });
    const cols = Object.keys(saved);
    await asIntruder(() =>
      sql.query(`INSERT INTO sam.audit (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, cols.map((c) => saved[c])),
    );
    expect((await verifyLive()).intact).toBe(true);
  });

  it('refuses a plain INSERT, and names a row inserted with the triggers off, with or without a seq', async () => {
    await expect(sql.query("INSERT INTO sam.audit (event, result, user_id) VALUES ('sign', 'ok', 'mallory')")).rejects.toThrow(
      'sam.audit is appended only through sam.audit_append()',
    );

    const { rows } = await asIntruder(() =>
      sql.query("INSERT INTO sam.audit (event, result, user_id) VALUES ('sign', 'ok', 'mallory') RETURNING id::text AS id"),
    );
    let verdict = await verifyLive();
    expect(verdict.intact).toBe(false);
    expect(verdict.problems).toContainEqual(expect.objectContaining({ kind: 'inserted', id: rows[0].id }));
    await asIntruder(() => sql.query('DELETE FROM sam.audit WHERE id = $1', [rows[0].id]));

    // A copy of a genuine row with a copy of its link, seq and hash included: it hashes right, but its seq is taken.
    const seq = await seqOf("event = 'sign' AND credential_id = $1", [credentialID]);
    const copy = await asIntruder(() =>
      sql.query(
        `WITH c AS (
           INSERT INTO sam.audit (at, event, result, error_code, user_id, client_id, credential_id, hash_alg, sign_algo, hashes,
                                  sad_jti, num_signatures, amr, request_id, source_ip, user_agent, detail)
           SELECT at, event, result, error_code, user_id, client_id, credential_id, hash_alg, sign_algo, hashes,
                  sad_jti, num_signatures, amr, request_id, source_ip, user_agent, detail
             FROM sam.audit WHERE ${AT_SEQ} RETURNING id)
         INSERT INTO sam.audit_link (audit_id, seq, prev_hash, hash)
         SELECT c.id, l.seq, l.prev_hash, l.hash FROM c, sam.audit_link l WHERE l.seq = $1 RETURNING audit_id::text AS id`,
        [seq],
      ),
    );
    const res = await admin(server, 'audit:verify');
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`error: audit trail NOT intact: record seq ${seq} (id ${copy.rows[0].id}) was inserted: a second row with that seq\n`);
    await asIntruder(async () => {
      await sql.query('DELETE FROM sam.audit_link WHERE audit_id = $1', [copy.rows[0].id]);
      await sql.query('DELETE FROM sam.audit WHERE id = $1', [copy.rows[0].id]);
    });
    verdict = await verifyLive();
    expect(verdict.intact).toBe(true);
  });

  it('detects a checkpoint whose signature was altered', async () => {
    const { rows } = await sql.query('SELECT seq::int AS seq, signature FROM sam.audit_checkpoints ORDER BY seq LIMIT 1');
    const original: Buffer = rows[0].signature;
    const forged = Buffer.from(original);
    forged[forged.length - 1] = forged[forged.length - 1]! ^ 0x01;
    await sql.query('UPDATE sam.audit_checkpoints SET signature = $2 WHERE seq = $1', [rows[0].seq, forged]);
    const verdict = await verifyLive();
    expect(verdict.intact).toBe(false);
    expect(verdict.problems[0]).toMatchObject({
      kind: 'checkpoint',
      seq: rows[0].seq,
      message: `checkpoint at seq ${rows[0].seq} was altered: its signature does not verify`,
    });
    await sql.query('UPDATE sam.audit_checkpoints SET signature = $2 WHERE seq = $1', [rows[0].seq, original]);
    expect((await verifyLive()).intact).toBe(true);
  });

  it('detects a record rewritten together with its hash: the next record no longer chains to it', async () => {
    const seq = await seqOf("event = 'activate' AND credential_id = $1", [credentialID]);
    const before = (await sql.query('SELECT user_agent, hash FROM sam.audit_chained WHERE seq = $1', [seq])).rows[0];
    // Recompute the row's own hash as the database would, after changing it.
    await asIntruder(async () => {
      await sql.query(`UPDATE sam.audit SET user_agent = 'forged' WHERE ${AT_SEQ}`, [seq]);
      await sql.query(
        'UPDATE sam.audit_link l SET hash = sha256(sam.audit_canonical(a, l.seq, l.prev_hash)) FROM sam.audit a WHERE a.id = l.audit_id AND l.seq = $1',
        [seq],
      );
    });
    const verdict = await verifyLive();
    expect(verdict.intact).toBe(false);
    expect(verdict.problems[0]).toMatchObject({ kind: 'altered', seq });
    await asIntruder(async () => {
      await sql.query(`UPDATE sam.audit SET user_agent = $2 WHERE ${AT_SEQ}`, [seq, before.user_agent]);
      await sql.query('UPDATE sam.audit_link SET hash = $2 WHERE seq = $1', [seq, before.hash]);
    });
    expect((await verifyLive()).intact).toBe(true);
  });

  it('serves the evidence of a signature to the signer\'s application, matching the exported record and its checkpoint', async () => {
    const exported = parseAuditLines(await (await adminApi('/admin/audit/export', { credentialID })).text());
    const res = await csc(server, 'ext/signatureEvidence', { credentialID, hash: hashes[1]!.toString('base64url') }, { bearer: token });
    expect(res.status).toBe(200);
    expect(res.body.evidence).toHaveLength(1);
    const e = res.body.evidence[0];
    expect(e).toMatchObject({
      credentialID,
      hashes: hashes.map((h) => h.toString('base64')),
      hashAlgorithmOID: SHA256,
      signAlgo: ECDSA_SHA256,
      sadId: sadJti,
      factors: ['pwd', 'otp'],
    });
    expect(e.clientID).toMatch(/^login:/);
    const record = exported.find((l): l is AuditRecordLine => l.type === 'record' && l.seq === e.seq)!;
    expect(record.hash).toBe(e.recordHash);
    expect(e.checkpoint.seq).toBeGreaterThanOrEqual(e.seq);
    expect(exported).toContainEqual({ type: 'checkpoint', ...e.checkpoint });
    // By SAD id too; a digest that was not signed has no evidence.
    expect((await csc(server, 'ext/signatureEvidence', { credentialID, SAD: sadJti }, { bearer: token })).body.evidence).toHaveLength(1);
    const none = await csc(server, 'ext/signatureEvidence', { credentialID, hash: createHash('sha256').update('other').digest('base64') }, { bearer: token });
    expect(none.body).toEqual({ evidence: [] });
    // Not to someone else: the credential is not theirs.
    const mallory = `mallory-${randomBytes(3).toString('hex')}`;
    await admin(server, 'user:create', '--username', mallory, '--password', 'another horse battery');
    const other = await csc(server, 'auth/login', {}, { basic: [mallory, 'another horse battery'] });
    const refused = await csc(server, 'ext/signatureEvidence', { credentialID }, { bearer: other.body.access_token });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_request', error_description: 'Invalid parameter credentialID' });
  });

  it('answers the same verdict through the admin API', async () => {
    const res = await adminApi('/admin/audit/verify', { username });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ intact: true, problems: [] });
    // The signer's sign-in and the token it got are in the trail too.
    const lines = parseAuditLines(await (await adminApi('/admin/audit/export', { username })).text());
    const events = lines.flatMap((l) => (l.type === 'record' ? [`${l.event}:${l.result}`] : []));
    expect(events).toEqual(expect.arrayContaining(['signin:ok', 'token.issue:ok', 'activate:ok', 'sign:ok']));
    const bad = await adminApi('/admin/audit/export', { from: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid_request', error_description: 'Invalid parameter from: an ISO 8601 date or time' });
  });

  // Issue #14 finding 3, against the real service and SoftHSM: a credential row edited in SQL is refused with a clear
  // error and an audit row, and works again once put back (the seal covers what the SAM wrote, nothing else).
  it('refuses a credential whose row was edited in SQL, with a clear error and an audit row', async () => {
    const fresh = await csc(server, 'auth/login', {}, { basic: [username, 'correct horse battery'] });
    const authorizeOnce = () =>
      csc(
        server,
        'credentials/authorize',
        { credentialID, numSignatures: 1, hashes: [hashes[0]!.toString('base64')], hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '123456' }] },
        { bearer: fresh.body.access_token },
      );
    await sql.query("UPDATE sam.credentials SET scal = '1' WHERE credential_id = $1", [credentialID]);
    const refused = await authorizeOnce();
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: 'invalid_request',
      error_description: 'The credential cannot be used: its record failed the integrity check; contact the service operator',
    });
    const { rows } = await sql.query(
      "SELECT result, error_code FROM sam.audit WHERE event = 'activate' AND credential_id = $1 ORDER BY id DESC LIMIT 1",
      [credentialID],
    );
    expect(rows[0]).toEqual({ result: 'refused', error_code: 'SAM_CREDENTIAL_TAMPERED' });
    await sql.query("UPDATE sam.credentials SET scal = '2' WHERE credential_id = $1", [credentialID]);
    // Sealed as the SAM wrote it: the row is usable again, and judged on its factors (the PIN alone is not enough at
    // SCAL 2).
    const again = await authorizeOnce();
    expect(again.body).toEqual({ error: 'invalid_authentication_data', error_description: 'The authentication data is invalid' });
  });

  // Issue #14 finding 2: the newest checkpoints removed together with the records they covered leave nothing in the
  // database to show it; the copies in the anchor file (AUDIT_ANCHOR_FILE, default DATA_DIR/audit-anchors.jsonl) do.
  it('catches records cut off the end with their checkpoints, through the anchor file, which the database alone cannot', async () => {
    const anchors = path.join(server.dataDir, 'audit-anchors.jsonl');
    const intactBefore = await admin(server, 'audit:verify', '--anchors', anchors); // also signs and anchors the head
    expect(intactBefore.code, intactBefore.stderr).toBe(0);
    const anchored = parseAuditLines(readFileSync(anchors, 'utf8'));
    const newest = anchored.at(-1)!;
    expect(newest.type).toBe('checkpoint');
    const stored = await sql.query('SELECT seq::int AS seq FROM sam.audit_checkpoints ORDER BY seq');
    expect(anchored.map((c) => (c as { seq: number }).seq)).toEqual(stored.rows.map((r) => r.seq));

    // Cut everything after a record from the activation on: the records, the checkpoints on them, and the head set
    // back. The running service goes on chaining onto the cut head: the export below appends its own admin row, so
    // seqs cut+1… are taken again, and the export signs a new checkpoint there. Where a checkpoint had been anchored
    // at one of those seqs (the checkpoint timer signs whatever the head is when 5 records are pending, so where
    // depends on timing), the new one differs from its anchor and the verifier rightly names that checkpoint first.
    // So the cut is made where the next few seqs carry no anchor, with an anchor beyond them to reveal the cut.
    const MARGIN = 3; // seqs the service may reuse before the export's checkpoint (one admin row; a few to spare)
    const anchoredSeqs = new Set(anchored.map((c) => (c as { seq: number }).seq));
    let cut = await seqOf("event = 'activate' AND credential_id = $1", [credentialID]);
    const free = (c: number) => Array.from({ length: MARGIN }, (_, i) => c + 1 + i).every((s) => !anchoredSeqs.has(s));
    while (!free(cut)) cut++;
    expect(cut + MARGIN).toBeLessThan((newest as { seq: number }).seq);
    // In one transaction holding the sealer's and the checkpointer's locks (sam/migrations/005_audit_seal.sql,
    // sam/audit/checkpoints.ts): the service's timer must not sign or chain onto the old head half-way through.
    await asIntruder(async () => {
      await sql.query('BEGIN');
      try {
        await sql.query('SELECT pg_advisory_xact_lock(8247062268280403300), pg_advisory_xact_lock(8247062268281664628)');
        await sql.query('DELETE FROM sam.audit WHERE id IN (SELECT audit_id FROM sam.audit_link WHERE seq > $1)', [cut]);
        await sql.query('DELETE FROM sam.audit_link WHERE seq > $1', [cut]);
        await sql.query('DELETE FROM sam.audit_checkpoints WHERE seq > $1', [cut]);
        await sql.query('UPDATE sam.audit_head SET seq = $1, hash = (SELECT hash FROM sam.audit_link WHERE seq = $1)', [cut]);
        await sql.query('COMMIT');
      } catch (err) {
        await sql.query('ROLLBACK');
        throw err;
      }
    });
    const file = tmpFile('cut.jsonl', await (await adminApi('/admin/audit/export')).text());
    const fromDatabase = await admin(server, 'audit:verify', '--file', file);
    expect(fromDatabase.code, fromDatabase.stderr).toBe(0); // the chain and its checkpoints agree with each other
    const withAnchors = await admin(server, 'audit:verify', '--file', file, '--anchors', anchors);
    expect(withAnchors.code).toBe(1);
    const head = parseAuditLines(readFileSync(file, 'utf8'))[0] as { headSeq: number };
    expect(head.headSeq).toBeGreaterThan(cut);
    expect(head.headSeq).toBeLessThanOrEqual(cut + MARGIN);
    expect(withAnchors.stderr).toBe(
      `error: audit trail NOT intact: records after seq ${head.headSeq} were deleted: a checkpoint anchored outside the database signed the chain up to seq ${(newest as { seq: number }).seq}\n`,
    );
    const unreadable = await admin(server, 'audit:verify', '--file', file, '--anchors', path.join(server.dataDir, 'no-such-file'));
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/^error: cannot read the anchors .*no-such-file: ENOENT\n$/);
  });

  // Last: it leaves the trail forged (rows appended since chain onto the forgery, so it cannot simply be put back).
  it('detects a chain rewritten from a record onwards, every later hash recomputed: it misses the signed head', async () => {
    await verifyLive(); // a checkpoint covering everything so far
    const seq = await seqOf("event = 'activate' AND credential_id = $1", [credentialID]);
    const cp = (await sql.query('SELECT min(seq)::int AS seq FROM sam.audit_checkpoints WHERE seq >= $1', [seq])).rows[0].seq;
    // What an intruder who knows the format would do: change a row, then re-chain everything after it.
    await asIntruder(async () => {
      await sql.query(`UPDATE sam.audit SET user_agent = 'forged' WHERE ${AT_SEQ}`, [seq]);
      await sql.query(`DO $$
        DECLARE r sam.audit; l record; prev bytea; h bytea;
        BEGIN
          SELECT hash INTO prev FROM sam.audit_link WHERE seq = ${seq} - 1;
          FOR l IN SELECT * FROM sam.audit_link WHERE seq >= ${seq} ORDER BY seq LOOP
            SELECT * INTO r FROM sam.audit WHERE id = l.audit_id;
            h := sha256(sam.audit_canonical(r, l.seq, prev));
            UPDATE sam.audit_link SET prev_hash = prev, hash = h WHERE audit_id = l.audit_id;
            prev := h;
          END LOOP;
          UPDATE sam.audit_head SET hash = prev;
        END $$`);
    });
    const verdict = verifyAuditExport(parseAuditLines(await (await adminApi('/admin/audit/export')).text()));
    expect(verdict.intact).toBe(false);
    expect(verdict.problems[0]!.kind).toBe('altered');
    expect(verdict.problems[0]!.message).toMatch(new RegExp(`^records seq \\d+ to ${cp} were rewritten: the chain no longer reaches the head signed at seq ${cp}$`));
    expect(verdict.problems[0]!.seq).toBeLessThanOrEqual(seq);
  });
});
