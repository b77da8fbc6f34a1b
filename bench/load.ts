// The load generator, a process of its own (bench/run.ts starts it per scenario and algorithm) so that its CPU is
// not the server's. Keep-alive HTTP to the running service. Reads its job as JSON from BENCH_JOB, prints one JSON
// line (LoadResult) on stdout.
//
// Scenarios (issue #6):
//   batch  — SADs for `batchSize` hashes minted beforehand; one signHash with all of them per SAD.
//   single — one-hash SADs minted beforehand; one signHash per SAD.
//   full   — per document: credentials/authorize with PIN + TOTP, then signHash; nothing prepared.
// Only the signHash calls (batch, single) or the whole documents (full) are timed; minting is preparation.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { generate } from 'otplib';
import type { RuntimeMetrics } from '../admin/runtime_metrics.ts';
import { SHA256_OID } from './algos.ts';
import type { StoreProcesses } from './store_processes.ts';
import { rate, summarize, type LatencySummary } from './stats.ts';

export type BenchUser = { bearer: string; credentialID: string; pin: string; otpSecret?: string };

export type LoadJob = {
  url: string;
  adminToken: string;
  scenario: 'batch' | 'single' | 'full';
  algo: string;
  signAlgo: string;
  concurrency: number;
  durationMs: number;
  /** batch, single: SADs minted beforehand (each signed once). */
  sads: number;
  batchSize: number;
  /** Parallel authorize calls while minting: PIN checks are scrypt on the thread pool, and the lockout counter
   *  admits at most MAX_FACTOR_FAILURES attempts in flight per credential. */
  mintConcurrency: number;
  /** Longest time spent minting; whatever was minted by then is used. */
  mintMaxMs: number;
  users: BenchUser[];
  /** Other processes to account for during the window, by name and pid (remote mode: the SAM when split). */
  watch?: Record<string, number>;
  /** The postmaster of DATABASE_URL's cluster and the redis-server of REDIS_URL (bench/store_processes.ts): their
   *  CPU is counted instead of every process of that name, when they could be found. */
  stores?: StoreProcesses;
};

/** CPU and peak RSS of a watched process over the measured window, from /proc (null where it cannot be read). */
export type Watched = { cores: number | null; peakRssBytes: number | null };

/** What the service reports about itself over the window (GET/POST /admin/runtime-metrics). */
export type ServerMetrics = RuntimeMetrics;

/** Cores used during the measured window by each process on the machine that matters: the service (all its
 *  threads, SoftHSM's work included), PostgreSQL (the cluster of DATABASE_URL, every backend; null where /proc cannot be read) and this load
 *  generator. On a machine the service shares, these say where the CPU went. */
export type CpuShares = {
  service: number;
  postgres: number | null;
  /** The redis-server of REDIS_URL, or every redis-server process when it could not be found (null where /proc
   *  cannot be read; 0 with the in-process store). */
  redis: number | null;
  loader: number;
  /** CPU seconds over the window, for per-signature figures: the service's own (its report), PostgreSQL's, Redis's. */
  seconds: { service: number; postgres: number | null; redis: number | null };
};

export type LoadResult = {
  /** The job's scenario, or the label bench/run.ts runs it under (full-pin10: full on the prepared service). */
  scenario: string;
  algo: string;
  concurrency: number;
  requests: number;
  documents: number;
  signatures: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  requestsPerSec: number;
  signaturesPerSec: number;
  latencyMs: LatencySummary;
  /** full: the two calls of each document apart. */
  authorizeMs?: LatencySummary;
  signHashMs?: LatencySummary;
  prepareMs: number;
  server: ServerMetrics;
  cpu: CpuShares;
  loaderPeakRssBytes: number;
  watched?: Record<string, Watched>;
};

const job = JSON.parse(process.env.BENCH_JOB ?? 'null') as LoadJob;
if (!job) throw new Error('BENCH_JOB is required');
const base = new URL(job.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(job.concurrency, job.mintConcurrency) });
let loaderPeakRss = process.memoryUsage.rss();
const rssTimer = setInterval(() => (loaderPeakRss = Math.max(loaderPeakRss, process.memoryUsage.rss())), 200);

function post(path: string, body: unknown, bearer: string, method = 'POST'): Promise<{ status: number; body: any }> {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        path,
        method,
        agent,
        headers: {
          authorization: `Bearer ${bearer}`,
          'x-bench-phase': `${job.scenario}-${job.algo}`,
          ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* keep the text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime. */
let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* the usual Linux value */
}

/** CPU seconds used so far by the process `root` and its children (a postmaster and its backends), or, without a
 *  root, by every process named `name`; null without a readable /proc. */
function processCpuSeconds(name: string, root?: number): number | null {
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      const mine = root === undefined ? stat.slice(stat.indexOf('(') + 1, close) === name : Number(pid) === root || Number(fields[1]) === root;
      if (!mine) continue;
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (proc(5) fields 14 and 15)
      // The root's cutime and cstime (fields 16 and 17): a backend that exits during the window takes its CPU out
      // of the sum over living processes, and the postmaster, reaping it, adds it here, so nothing is lost or
      // counted negative (the batch figures of 2026-12-05 had PostgreSQL below zero for that reason).
      if (Number(pid) === root) ticks += Number(fields[13]) + Number(fields[14]);
    }
  } catch {
    return null;
  }
  return ticks / clockTicks;
}

function pidCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return null;
  }
}

let PAGE_BYTES = 4096;
try {
  PAGE_BYTES = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;
} catch {
  /* the usual Linux value */
}
function pidRssBytes(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_BYTES;
  } catch {
    return null;
  }
}

/** Starts watching the job's other processes (CPU, and RSS sampled every 100 ms); the returned function ends it. */
function watchWindow(): () => Record<string, Watched> | undefined {
  const pids = Object.entries(job.watch ?? {});
  if (!pids.length) return () => undefined;
  const t0 = performance.now();
  const cpuAt = pids.map(([, pid]) => pidCpuSeconds(pid));
  const peak = pids.map(([, pid]) => pidRssBytes(pid));
  const timer = setInterval(() => pids.forEach(([, pid], i) => {
    const rss = pidRssBytes(pid);
    if (rss !== null) peak[i] = Math.max(peak[i] ?? 0, rss);
  }), 100);
  return () => {
    clearInterval(timer);
    const seconds = (performance.now() - t0) / 1000;
    return Object.fromEntries(pids.map(([name, pid], i) => {
      const now = pidCpuSeconds(pid);
      const at = cpuAt[i];
      return [name, { cores: now === null || at === null || at === undefined ? null : (now - at) / seconds, peakRssBytes: peak[i] ?? null }];
    }));
  };
}

/** Starts measuring this process's and PostgreSQL's CPU; the returned function ends the window. */
function cpuWindow(): (server: ServerMetrics) => CpuShares {
  const loaderAt = process.cpuUsage();
  const postgresCpu = () => processCpuSeconds('postgres', job.stores?.postgres);
  const redisCpu = () => processCpuSeconds('redis-server', job.stores?.redis);
  const pgAt = postgresCpu();
  const redisAt = redisCpu();
  const t0 = performance.now();
  return (server) => {
    const seconds = (performance.now() - t0) / 1000;
    const own = process.cpuUsage(loaderAt);
    const since = (at: number | null, now: number | null) => (at === null || now === null ? null : now - at);
    const pg = since(pgAt, postgresCpu());
    const redis = since(redisAt, redisCpu());
    return {
      service: server.cpuSeconds / (server.windowMs / 1000),
      postgres: pg === null ? null : pg / seconds,
      redis: redis === null ? null : redis / seconds,
      loader: (own.user + own.system) / 1e6 / seconds,
      seconds: { service: server.cpuSeconds, postgres: pg, redis },
    };
  };
}

const digest = () => createHash('sha256').update(randomBytes(32)).digest();
const b64 = (b: Buffer) => b.toString('base64');

let errors = 0;
let firstError: string | undefined;
function fail(what: string, res: { status: number; body: unknown }): void {
  errors++;
  firstError ??= `${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
}

async function authorize(user: BenchUser, hashes: Buffer[], otp?: string): Promise<string | null> {
  const authData = [{ id: 'PIN', value: user.pin }, ...(otp ? [{ id: 'OTP', value: otp }] : [])];
  const res = await post(
    '/csc/v2/credentials/authorize',
    { credentialID: user.credentialID, numSignatures: hashes.length, hashes: hashes.map(b64), hashAlgorithmOID: SHA256_OID, authData },
    user.bearer,
  );
  if (res.status !== 200 || typeof res.body?.SAD !== 'string') {
    fail('authorize', res);
    return null;
  }
  return res.body.SAD;
}

async function signHash(user: BenchUser, sad: string, hashes: Buffer[]): Promise<boolean> {
  const res = await post(
    '/csc/v2/signatures/signHash',
    { credentialID: user.credentialID, SAD: sad, hashes: hashes.map(b64), hashAlgorithmOID: SHA256_OID, signAlgo: job.signAlgo },
    user.bearer,
  );
  if (res.status !== 200 || !Array.isArray(res.body?.signatures) || res.body.signatures.length !== hashes.length) {
    fail('signHash', res);
    return false;
  }
  return true;
}

async function metrics(reset: boolean): Promise<ServerMetrics> {
  const res = await post('/admin/runtime-metrics', undefined, job.adminToken, reset ? 'POST' : 'GET');
  if (res.status !== 200) throw new Error(`runtime metrics: ${res.status} (is RUNTIME_METRICS=1 set?)`);
  return res.body as ServerMetrics;
}

/** Runs `work` on `n` parallel loops, each taking the next index until `until()` says stop. */
async function pool(n: number, count: number, until: () => boolean, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < count && !until()) await work(next++);
    }),
  );
}

async function prepared(): Promise<LoadResult> {
  const size = job.scenario === 'batch' ? job.batchSize : 1;
  const items: { user: BenchUser; sad: string; hashes: Buffer[] }[] = [];
  const t0 = performance.now();
  // Round robin over the credentials; each credential gets at most mintConcurrency / users in flight. Bounded in
  // time too (each activation is a scrypt PIN check): on a busy machine fewer SADs are minted, never a longer run.
  const mintEnd = t0 + job.mintMaxMs;
  await pool(job.mintConcurrency, job.sads, () => performance.now() >= mintEnd, async (i) => {
    const user = job.users[i % job.users.length]!;
    const hashes = Array.from({ length: size }, digest);
    const sad = await authorize(user, hashes);
    if (sad) items.push({ user, sad, hashes });
  });
  const prepareMs = performance.now() - t0;
  if (items.length === 0) throw new Error(`no SAD could be minted: ${firstError}`);
  const errorsBefore = errors;

  await metrics(true);
  const cpu = cpuWindow();
  const watched = watchWindow();
  const latencies: number[] = [];
  let signatures = 0;
  const start = performance.now();
  const end = start + job.durationMs;
  await pool(job.concurrency, items.length, () => performance.now() >= end, async (i) => {
    const it = items[i]!;
    const t = performance.now();
    if (await signHash(it.user, it.sad, it.hashes)) {
      latencies.push(performance.now() - t);
      signatures += it.hashes.length;
    }
  });
  const elapsedMs = performance.now() - start;
  const server = await metrics(false);
  return {
    cpu: cpu(server),
    watched: watched(),
    scenario: job.scenario,
    algo: job.algo,
    concurrency: job.concurrency,
    requests: latencies.length,
    documents: signatures,
    signatures,
    errors: errors - errorsBefore,
    firstError,
    elapsedMs,
    requestsPerSec: rate(latencies.length, elapsedMs),
    signaturesPerSec: rate(signatures, elapsedMs),
    latencyMs: summarize(latencies),
    prepareMs,
    server,
    loaderPeakRssBytes: loaderPeakRss,
  };
}

/** TOTP time steps are accepted once per user, increasing (RFC 6238 §5.2), within ±1 step of now: each user signs
 *  at most one document per step. The previous step is not used: under load an authorize can take seconds, and a
 *  code of the previous step may expire on the way. */
function nextStep(last: number): number | null {
  const current = Math.floor(Date.now() / 1000 / 30);
  const step = Math.max(last + 1, current);
  return step <= current + 1 ? step : null;
}

async function full(): Promise<LoadResult> {
  await metrics(true);
  const cpu = cpuWindow();
  const docs: number[] = [];
  const auth: number[] = [];
  const sign: number[] = [];
  const start = performance.now();
  const end = start + job.durationMs;
  const workers = Math.min(job.concurrency, job.users.length);
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      // Each worker signs in turn for the users w, w + workers, …: one user gives at most two documents per TOTP
      // step, so more users than workers keep the window going instead of waiting for the clock.
      const mine = job.users.filter((_, i) => i % workers === w);
      const last = mine.map(() => -Infinity);
      let turn = 0;
      while (performance.now() < end) {
        let u = -1;
        let step: number | null = null;
        for (let k = 0; k < mine.length && step === null; k++) {
          u = (turn + k) % mine.length;
          step = nextStep(last[u]!);
        }
        if (step === null) {
          // These users' steps are spent until the clock moves on.
          const wait = 30_000 - (Date.now() % 30_000) + 50;
          if (performance.now() + wait >= end) break;
          await new Promise((r) => setTimeout(r, wait));
          continue;
        }
        turn = u + 1;
        last[u] = step;
        const user = mine[u]!;
        const otp = await generate({ secret: user.otpSecret!, epoch: step * 30 });
        const hashes = [digest()];
        const t0 = performance.now();
        const sad = await authorize(user, hashes, otp);
        if (!sad) continue;
        const t1 = performance.now();
        if (await signHash(user, sad, hashes)) {
          const t2 = performance.now();
          docs.push(t2 - t0);
          auth.push(t1 - t0);
          sign.push(t2 - t1);
        }
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  const server = await metrics(false);
  return {
    cpu: cpu(server),
    scenario: 'full',
    algo: job.algo,
    concurrency: workers,
    requests: docs.length * 2,
    documents: docs.length,
    signatures: docs.length,
    errors,
    firstError,
    elapsedMs,
    requestsPerSec: rate(docs.length * 2, elapsedMs),
    signaturesPerSec: rate(docs.length, elapsedMs),
    latencyMs: summarize(docs),
    authorizeMs: summarize(auth),
    signHashMs: summarize(sign),
    prepareMs: 0,
    server,
    loaderPeakRssBytes: loaderPeakRss,
  };
}

const result = job.scenario === 'full' ? await full() : await prepared();
clearInterval(rssTimer);
agent.destroy();
process.stdout.write(JSON.stringify(result) + '\n');
