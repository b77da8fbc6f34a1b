// The benchmark counts the CPU of the stores it runs against, found through their own answers (bench/
// store_processes.ts): the machine's PostgreSQL and Redis here, and nothing for a store that is not reachable.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { expect, it } from 'vitest';
import { parentPid, storeProcesses } from '../../../bench/store_processes.ts';

const PG_URL = process.env.DATABASE_URL!;
const REDIS_URL = process.env.REDIS_URL!;
const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();

it("finds the postmaster that serves DATABASE_URL (the parent of our backend) and the redis-server's pid", async () => {
  const found = await storeProcesses({ DATABASE_URL: PG_URL, REDIS_URL });
  expect(comm(found.postgres!)).toBe('postgres');
  expect(comm(found.redis!)).toBe('redis-server');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(parentPid(rows[0]!.pid)).toBe(found.postgres);
  } finally {
    await client.end();
  }
});

it('resolves nothing for stores that do not answer, or are not configured', async () => {
  expect(await storeProcesses({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' })).toEqual({});
  expect(await storeProcesses({})).toEqual({});
});
