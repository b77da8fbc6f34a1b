// Data ownership enforced by PostgreSQL (issue #10 item 2): scripts/db-roles.sql makes one login role per part; each
// migrates its own schemas as itself, and the database refuses every cross-part read and write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { databaseWithRoles } from '../../db_fixtures.ts';

let asSam: Db;
let asApi: Db;
let db: Awaited<ReturnType<typeof databaseWithRoles>>;

beforeAll(async () => {
  db = await databaseWithRoles();
  asSam = createPool(db.samUrl, 2);
  asApi = createPool(db.apiUrl, 2);
  // The api first: the SAM's migrations then run beside schemas it may not even look into.
  expect((await migrate(asApi, ['authz', 'rssp'])).length).toBeGreaterThan(0);
  expect((await migrate(asSam, ['sam'])).length).toBeGreaterThan(0);
}, 60_000);

afterAll(async () => {
  await asSam?.end();
  await asApi?.end();
  await db?.drop();
});

async function refused(db: Db, sql: string) {
  await expect(db.query(sql)).rejects.toMatchObject({ code: '42501' }); // insufficient_privilege
}

describe('PostgreSQL roles per part', () => {
  it('refuses the api every read and write of the SAM schema', async () => {
    await refused(asApi, 'SELECT * FROM sam.sads');
    await refused(asApi, 'SELECT pin_hash FROM sam.credentials');
    await refused(asApi, `UPDATE sam.sads SET hashes = NULL`);
    await refused(asApi, `DELETE FROM sam.audit`);
    await refused(asApi, `SELECT sam.audit_seal()`);
    await refused(asApi, `CREATE TABLE sam.mine (x int)`);
  });

  it('refuses the SAM every read and write of the OAuth and rssp tables', async () => {
    await refused(asSam, 'SELECT * FROM authz.users');
    await refused(asSam, 'SELECT * FROM authz.oauth_clients');
    await refused(asSam, `DELETE FROM rssp.credentials`);
    await refused(asSam, `CREATE TABLE authz.mine (x int)`);
  });

  it('lets each role use its own schemas and see only its own migration rows', async () => {
    await expect(asSam.query('SELECT count(*) FROM sam.sads')).resolves.toBeDefined();
    await expect(asApi.query('SELECT count(*) FROM authz.users')).resolves.toBeDefined();
    const samRows = await asSam.query<{ schema: string }>('SELECT DISTINCT schema FROM public.schema_migrations');
    expect(samRows.rows.map((r) => r.schema)).toEqual(['sam']);
    const apiRows = await asApi.query<{ schema: string }>('SELECT DISTINCT schema FROM public.schema_migrations ORDER BY 1');
    expect(apiRows.rows.map((r) => r.schema)).toEqual(['authz', 'rssp']);
    // Neither can claim a migration of the other's part as done.
    await expect(asApi.query(`INSERT INTO public.schema_migrations (schema, name) VALUES ('sam', '999_fake.sql')`)).rejects.toMatchObject({ code: '42501' });
    await refused(asSam, `CREATE TABLE public.mine (x int)`);
  });

  it('migrates again as each role with nothing to apply', async () => {
    expect(await migrate(asApi, ['authz', 'rssp'])).toEqual([]);
    expect(await migrate(asSam, ['sam'])).toEqual([]);
  });
});
