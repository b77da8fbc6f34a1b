// The purge of expired rows (core/purge.ts, sam/store/purge.ts, authz/purge.ts) against PostgreSQL: what goes, what
// stays, that a purged SAD is still refused as expired, and the scheduler's behaviour on failure.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeAuthz } from '../../../authz/purge.ts';
import { pino } from 'pino';
import type { Logger } from '../../../core/log.ts';
import { deleteInBatches, schedulePurge } from '../../../core/purge.ts';
import { insertSad } from '../../../sam/store/sads.ts';
import { purgeSam } from '../../../sam/store/purge.ts';
import { authorize, digest, ECDSA_SHA256, expectRefusal, jtiOf, newSigner, setup, SHA256, type Env } from './helpers.ts';

let env: Env;
beforeAll(async () => {
  env = await setup();
});
afterAll(async () => env.close());

const DAY = 86_400_000;
const exists = async (table: string, column: string, value: unknown) =>
  (await env.db.query(`SELECT 1 FROM ${table} WHERE ${column} = $1`, [value])).rowCount === 1;

describe('purge of the SAM', () => {
  it('deletes SADs, approvals and challenges a retention after they expired, and nothing younger', async () => {
    const s = await newSigner(env);
    const now = env.clock.now();
    const sad = async (expiresAt: Date) => {
      const jti = randomBytes(12).toString('base64url');
      await insertSad(env.db, { jti, userId: s.userId, clientId: 'client-a', credentialId: s.credentialID, hashAlg: SHA256, n: 1, hashes: [digest(jti)], expiresAt });
      return jti;
    };
    const old = await sad(new Date(now.getTime() - 2 * DAY));
    const recent = await sad(new Date(now.getTime() - 60_000)); // expired, but inside the retention
    const live = await sad(new Date(now.getTime() + 60_000));
    const challenge = async (createdAt: Date) =>
      (await env.db.query<{ id: string }>(
        `INSERT INTO sam.challenges (credential_id, user_id, channel, code_hash, created_at, expires_at)
         VALUES ($1, $2, 'email', 'x', $3, $3::timestamptz + interval '5 minutes') RETURNING id`,
        [s.credentialID, s.userId, createdAt],
      )).rows[0]!.id;
    const oldChallenge = await challenge(new Date(now.getTime() - 3 * DAY));
    const inWindow = await challenge(new Date(now.getTime() - 2 * DAY)); // still counted by a 3-day limit window

    const deleted = await purgeSam(env.db, { expiredBefore: new Date(now.getTime() - DAY), challengesBefore: new Date(now.getTime() - 2.5 * DAY) });
    expect(deleted['sam.sads']).toBeGreaterThanOrEqual(1);
    expect(await exists('sam.sads', 'jti', old)).toBe(false);
    expect(await exists('sam.sads', 'jti', recent)).toBe(true);
    expect(await exists('sam.sads', 'jti', live)).toBe(true);
    expect(await exists('sam.challenges', 'id', oldChallenge)).toBe(false);
    expect(await exists('sam.challenges', 'id', inWindow)).toBe(true);
  });

  it('changes no answer: a SAD whose row was purged is still refused as expired', async () => {
    const s = await newSigner(env);
    const sad = await authorize(env, s, [digest('purged')]);
    env.clock.advance(2 * 86_400);
    await purgeSam(env.db, { expiredBefore: new Date(env.clock.now().getTime() - DAY), challengesBefore: new Date(env.clock.now().getTime() - DAY) });
    expect(await exists('sam.sads', 'jti', jtiOf(sad))).toBe(false);
    await expectRefusal(env, 'SAM_SAD_EXPIRED', (c) =>
      env.sam.signHash({ ctx: c, sad, userId: s.userId, clientId: 'client-a', credentialID: s.credentialID, hashes: [digest('purged')], signAlgo: ECDSA_SHA256 }),
    );
  });
});

describe('purge of authz', () => {
  it('deletes tokens and OAuth rows a retention after they expired; rows without expiry stay', async () => {
    const user = `u-${randomUUID()}`;
    await env.db.query("INSERT INTO authz.users (id, username, password_hash) VALUES ($1, $1, 'x')", [user]);
    const token = async (expiresAt: Date) => {
      const hash = randomBytes(32);
      await env.db.query(
        "INSERT INTO authz.tokens (token_hash, kind, family_id, user_id, client_id, scope, expires_at) VALUES ($1, 'access', 'f', $2, 'c', 'service', $3)",
        [hash, user, expiresAt],
      );
      return hash;
    };
    const now = Date.now();
    const oldToken = await token(new Date(now - 2 * DAY));
    const liveToken = await token(new Date(now + DAY));
    const model = async (expiresAt: Date | null) => {
      const id = randomUUID();
      await env.db.query("INSERT INTO authz.oauth_models (model, id, payload, expires_at) VALUES ('Session', $1, '{}', $2)", [id, expiresAt]);
      return id;
    };
    const oldModel = await model(new Date(now - 2 * DAY));
    const forever = await model(null);

    await purgeAuthz(env.db, new Date(now - DAY));
    expect(await exists('authz.tokens', 'token_hash', oldToken)).toBe(false);
    expect(await exists('authz.tokens', 'token_hash', liveToken)).toBe(true);
    expect(await exists('authz.oauth_models', 'id', oldModel)).toBe(false);
    expect(await exists('authz.oauth_models', 'id', forever)).toBe(true);
  });
});

describe('deleteInBatches and schedulePurge', () => {
  it('deletes more rows than one batch holds, and only the matching ones', async () => {
    const table = `public.purge_test_${randomBytes(4).toString('hex')}`;
    await env.db.query(`CREATE TABLE ${table} AS SELECT g AS n FROM generate_series(1, 12000) g`);
    try {
      expect(await deleteInBatches(env.db, table, 'n <= $1', [11000])).toBe(11000);
      expect((await env.db.query(`SELECT count(*)::int AS c FROM ${table}`)).rows[0].c).toBe(1000);
    } finally {
      await env.db.query(`DROP TABLE ${table}`);
    }
  });

  it('runs every job on each tick on one connection, logs a failing one and carries on', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }) as unknown as Logger;
    let runs = 0;
    const stop = schedulePurge({
      db: env.db,
      everyMs: 40,
      log,
      jobs: [
        async () => {
          throw new Error('database away');
        },
        async (q) => {
          await q.query('SELECT 1');
          return { 't.rows': ++runs };
        },
      ],
    });
    await new Promise((r) => setTimeout(r, 200));
    await stop();
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => l.includes('"event":"purge"') && l.includes('database away'))).toBe(true);
    expect(lines.some((l) => l.includes('"t.rows"'))).toBe(true);
    const after = runs;
    await new Promise((r) => setTimeout(r, 100));
    expect(runs).toBe(after);
  });

  it('skips its turn while another instance purges (the advisory lock is held elsewhere)', async () => {
    const other = await env.db.connect();
    let runs = 0;
    const log = pino({ level: 'silent' }) as unknown as Logger;
    const start = () => schedulePurge({ db: env.db, everyMs: 30, log, jobs: [async () => ({ n: ++runs })] });
    try {
      await other.query("SELECT pg_advisory_lock(8247062268281386354)");
      const stop = start();
      await new Promise((r) => setTimeout(r, 150));
      await stop();
      expect(runs).toBe(0);
    } finally {
      await other.query("SELECT pg_advisory_unlock(8247062268281386354)");
      other.release();
    }
    const stop = start();
    await new Promise((r) => setTimeout(r, 150));
    await stop();
    expect(runs).toBeGreaterThan(0);
  });
});
