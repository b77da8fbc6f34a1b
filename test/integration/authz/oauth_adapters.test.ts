// Storage of the authorization server's models: PostgreSQL for what is durable or single-use, the Kv for sessions
// and interactions (DESIGN §3).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFactory, KvModelAdapter, PgModelAdapter } from '../../../authz/oauth/adapters.ts';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { createMemoryKv } from '../../../core/kv.ts';

let db: Db;
const now = () => Math.floor(Date.now() / 1000);
const id = (p: string) => `${p}-${process.pid}-${Math.random().toString(36).slice(2)}`;

beforeAll(async () => {
  db = createPool(process.env.DATABASE_URL!, 4);
  await migrate(db);
});

afterAll(async () => {
  await db?.end();
});

describe('PgModelAdapter', () => {
  it('keeps the first consumption, forgets expired rows, and revokes every row of a grant', async () => {
    const codes = new PgModelAdapter(db, 'AuthorizationCode');
    const tokens = new PgModelAdapter(db, 'AccessToken');
    const grantId = id('grant');
    const code = id('code');
    await codes.upsert(code, { grantId, exp: now() + 60, accountId: 'u' }, 60);
    expect(await codes.find(code)).toMatchObject({ grantId, accountId: 'u' });
    expect((await codes.find(code))!.consumed).toBeUndefined();
    await codes.consume(code);
    const first = (await codes.find(code))!.consumed!;
    expect(first).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1100));
    await codes.consume(code);
    expect((await codes.find(code))!.consumed).toBe(first);

    const at = id('at');
    await tokens.upsert(at, { grantId, exp: now() + 60 }, 60);
    await codes.revokeByGrantId(grantId);
    expect(await codes.find(code)).toBeUndefined();
    expect(await tokens.find(at)).toBeUndefined();

    const old = id('old');
    await tokens.upsert(old, { exp: now() + 60 }, 60);
    await db.query("UPDATE authz.oauth_models SET expires_at = now() - interval '1 second' WHERE id = $1", [old]);
    expect(await tokens.find(old)).toBeUndefined();
  });

  it('routes sessions and interactions to the Kv, everything else to PostgreSQL', async () => {
    const kv = createMemoryKv();
    const factory = adapterFactory(db, kv);
    for (const m of ['Session', 'Interaction']) {
      const key = id(m);
      await factory(m).upsert(key, { exp: now() + 60 }, 60);
      expect(await new KvModelAdapter(kv, m).find(key)).toEqual({ exp: expect.any(Number) });
      expect((await db.query('SELECT 1 FROM authz.oauth_models WHERE id = $1', [key])).rowCount).toBe(0);
    }
    for (const m of ['Client', 'Grant', 'AuthorizationCode', 'AccessToken', 'RefreshToken', 'PushedAuthorizationRequest', 'ReplayDetection']) {
      const key = id(m);
      await factory(m).upsert(key, { exp: now() + 60 }, 60);
      expect(await new PgModelAdapter(db, m).find(key)).toEqual({ exp: expect.any(Number) });
    }
  });

  it('turns a lost database or Redis into an exposed 503 temporarily_unavailable, and leaves other errors alone', async () => {
    const lost = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const broken = (err: Error) => ({ query: () => Promise.reject(err) }) as unknown as Db;
    const refused = await adapterFactory(broken(lost), createMemoryKv())('Client').find('c').catch((e: unknown) => e);
    expect(refused).toMatchObject({
      expose: true,
      statusCode: 503,
      message: 'temporarily_unavailable',
      error_description: 'The service is temporarily unavailable; try again shortly',
      cause: lost,
    });
    const syntax = Object.assign(new Error('syntax error at or near "x"'), { code: '42601' });
    expect(await adapterFactory(broken(syntax), createMemoryKv())('Client').find('c').catch((e: unknown) => e)).toBe(syntax);
    const kv = { ...createMemoryKv(), get: () => Promise.reject(new Error('The client is closed')) };
    expect(await adapterFactory(db, kv)('Session').find('s').catch((e: unknown) => e)).toMatchObject({ statusCode: 503, expose: true });
  });
});

describe('KvModelAdapter', () => {
  it('finds sessions by uid, honours exp, and destroys', async () => {
    const sessions = new KvModelAdapter(createMemoryKv(), 'Session');
    await sessions.upsert('s1', { uid: 'u1', exp: now() + 60, accountId: 'a' }, 60);
    expect(await sessions.findByUid('u1')).toMatchObject({ accountId: 'a' });
    await sessions.upsert('s2', { uid: 'u2', exp: now() - 1 }, 60);
    expect(await sessions.find('s2')).toBeUndefined();
    await sessions.destroy('s1');
    expect(await sessions.find('s1')).toBeUndefined();
  });
});
