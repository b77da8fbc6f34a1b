// The processes of the stores the benchmark runs against: the PostgreSQL cluster that serves DATABASE_URL (its
// postmaster, found as the parent of the backend that answers us, and every process it started) and the
// redis-server at REDIS_URL (its process_id). Counting these, and not every process named postgres or
// redis-server, keeps another cluster or another client's load on the same machine out of the figures. A store on
// another host has no /proc entry here: then nothing is resolved and the load generator falls back to names.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { createClient } from 'redis';

export type StoreProcesses = { postgres?: number; redis?: number };

/** The parent pid of `pid` from /proc, or undefined when there is no such local process. */
export function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

async function postmasterOf(url: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return parentPid(rows[0]!.pid);
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisServerOf(url: string): Promise<number | undefined> {
  // No reconnection: a server that does not answer is not resolved, and the run goes on.
  const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    const pid = Number(/^process_id:(\d+)/m.exec(await client.info('server'))?.[1]);
    return Number.isInteger(pid) && parentPid(pid) !== undefined ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    await client.quit().catch(() => client.destroy());
  }
}

export async function storeProcesses(env: NodeJS.ProcessEnv = process.env): Promise<StoreProcesses> {
  const [postgres, redis] = await Promise.all([
    env.DATABASE_URL ? postmasterOf(env.DATABASE_URL) : undefined,
    env.REDIS_URL ? redisServerOf(env.REDIS_URL) : undefined,
  ]);
  return { ...(postgres ? { postgres } : {}), ...(redis ? { redis } : {}) };
}
