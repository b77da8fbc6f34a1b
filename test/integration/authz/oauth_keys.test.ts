// Keys of the authorization server on the machine's PostgreSQL: generated once, the same after a restart (a second
// load), rotatable without losing the previous key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeys, rotateKeys } from '../../../authz/oauth/keys.ts';
import { createPool, migrate, type Db } from '../../../core/db.ts';

let db: Db;

beforeAll(async () => {
  db = createPool(process.env.DATABASE_URL!, 4);
  await migrate(db);
});

afterAll(async () => {
  await db?.end();
});

describe('authorization server keys', () => {
  it('are created once, survive a restart, rotate with the old key kept, and hold no second first key under concurrency', async () => {
    const [a, b] = await Promise.all([loadKeys(db), loadKeys(db)]);
    expect(a.jwks.keys.length).toBeGreaterThanOrEqual(1);
    expect(b.jwks.keys).toEqual(a.jwks.keys);
    const first = a.jwks.keys[0]!;
    expect(first).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(typeof first.d).toBe('string');

    const restarted = await loadKeys(db);
    expect(restarted.jwks.keys[0]!.kid).toBe(first.kid);
    expect(restarted.cookieKeys[0]).toBe(a.cookieKeys[0]);

    await rotateKeys(db);
    const rotated = await loadKeys(db);
    expect(rotated.jwks.keys[0]!.kid).not.toBe(first.kid);
    expect(rotated.jwks.keys.map((k) => k.kid)).toContain(first.kid);
    expect(rotated.cookieKeys[1]).toBe(a.cookieKeys[0]);

    await rotateKeys(db);
    const twice = await loadKeys(db);
    // At most two live keys of each kind: the oldest is retired.
    expect(twice.jwks.keys).toHaveLength(2);
    expect(twice.jwks.keys.map((k) => k.kid)).not.toContain(first.kid);
  });
});
