// Databases of a test's own on the machine's PostgreSQL, for tests that must not see other files' rows (the audit
// chain's checkpoints are signed by each server's own token). databaseWithRoles() also runs scripts/db-roles.sql (by
// psql, as an operator would) with role names of its own, since roles are cluster-wide; drop() removes what it made.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCRIPT = path.resolve(import.meta.dirname, '../scripts/db-roles.sql');

async function adminQuery(sql: string) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function databaseWithRoles(): Promise<{ samUrl: string; apiUrl: string; drop(): Promise<void> }> {
  const suffix = randomBytes(4).toString('hex');
  const dbName = `rssp_roles_${suffix}`;
  const samRole = `rssp_sam_${suffix}`;
  const apiRole = `rssp_api_${suffix}`;
  const urlAs = (user?: string) => {
    const u = new URL(ADMIN_URL);
    if (user) u.username = user;
    u.pathname = `/${dbName}`;
    return u.toString();
  };
  await adminQuery(`CREATE DATABASE ${dbName}`);
  await run('psql', [urlAs(), '-q', '-v', `sam_role=${samRole}`, '-v', `api_role=${apiRole}`, '-f', SCRIPT]);
  return {
    samUrl: urlAs(samRole),
    apiUrl: urlAs(apiRole),
    async drop() {
      await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await adminQuery(`DROP ROLE IF EXISTS ${samRole}`);
      await adminQuery(`DROP ROLE IF EXISTS ${apiRole}`);
    },
  };
}

export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const dbName = `rssp_fresh_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${dbName}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  return { url: u.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`) };
}
