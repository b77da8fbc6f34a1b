// PostgreSQL through `pg`: one pool per process and forward-only migrations per schema (DESIGN §3).
// Migrations live next to the part that owns the schema (`<part>/migrations/NNN_name.sql`) and are applied at
// start-up under a transaction-scoped advisory lock, so several instances starting together apply each file once.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export type Db = pg.Pool;
export type DbClient = pg.PoolClient;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Schemas in dependency order; each is `<schema>/migrations/*.sql` under the repository root. */
export const SCHEMAS = ['authz', 'rssp', 'sam'] as const;

// 64-bit advisory lock key of the migrations (an arbitrary constant; it must never change, or instances of two
// versions starting together would migrate at once).
const MIGRATION_LOCK = '8318823744233629031';

/** Socket errors and PostgreSQL's own "not now" (57P01-03 shutdown and start-up, 53300 too many connections,
 *  class 08 connection exceptions): the database is away, not the request wrong. */
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
const UNAVAILABLE_MESSAGE = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Cannot use a pool after calling end)/;

/** True when `err` (or what caused it) says the database cannot be reached: callers answer 503, not 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE.has(code)) return true;
    if (UNAVAILABLE_MESSAGE.test(e.message)) return true;
  }
  return false;
}

export function createPool(url: string, max = 10): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // A database that does not answer the handshake (a host gone, not a refused port) must not hold requests.
    connectionTimeoutMillis: 5000,
    // A new client knows of no prepared statement (see prepared()), and the server must agree: embedded PGlite keeps
    // one session behind every connection, with the statements of the previous one. On PostgreSQL a no-op.
    // pg-pool awaits the promise returned here before handing the client out (its type says void).
    onConnect: (client) => client.query('DEALLOCATE ALL'),
  });
  // A client losing its connection must not crash the process: idle ones are replaced by the pool ('error' on the
  // pool); one checked out (a transaction waiting on the HSM, the purge's lock holder) fails its next query, which
  // the caller sees as the database being unavailable (isDatabaseUnavailable), and is discarded when released.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

const statementNames = new Map<string, string>();

/**
 * A query of the hot path as a named prepared statement: PostgreSQL parses and plans it once per connection instead
 * of on every call. The name is derived from the text, so that two texts can never share one (pg refuses that).
 */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (!name) {
    name = `s${statementNames.size}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

export async function migrate(db: Db, schemas: readonly string[] = SCHEMAS): Promise<string[]> {
  const applied: string[] = [];
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // CREATE … IF NOT EXISTS still needs the privilege to create: a role that owns only its own schema (scripts/
    // db-roles.sql) finds the bookkeeping table and its schema made for it, so look before creating.
    const { rows: [bookkeeping] } = await client.query<{ t: string | null }>(`SELECT to_regclass('public.schema_migrations')::text AS t`);
    if (!bookkeeping?.t) {
      await client.query(`CREATE TABLE public.schema_migrations (
        schema text NOT NULL, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (schema, name))`);
    }
    for (const schema of schemas) {
      const dir = path.join(ROOT, schema, 'migrations');
      let files: string[];
      try {
        files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
      } catch {
        continue;
      }
      const { rows } = await client.query<{ name: string }>('SELECT name FROM public.schema_migrations WHERE schema = $1', [schema]);
      const done = new Set(rows.map((r) => r.name));
      const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (!rowCount) await client.query(`CREATE SCHEMA ${schema}`);
      for (const file of files) {
        if (done.has(file)) continue;
        await client.query(readFileSync(path.join(dir, file), 'utf8'));
        await client.query('INSERT INTO public.schema_migrations (schema, name) VALUES ($1, $2)', [schema, file]);
        applied.push(`${schema}/${file}`);
      }
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Runs `fn` in a transaction on one client; rolls back on any throw. */
export async function tx<T>(db: Db, fn: (c: DbClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
