// `npm run bench` (issue #6, docs/performance.md): in one run on one SoftHSM token and one machine,
//   1. the raw PKCS#11 rate (bench/raw.ts, a child process, on the service's token), measured twice — before the
//      service starts and after it stopped, half the duration each — and averaged: the raw rate drifts with the
//      machine by ±25 % within an hour, and one sample taken minutes away from the end-to-end phases skews ratios;
//   2. the service end to end over HTTP, compiled (`npm run build`, into .build/bench) and started as its own process
//      as the Docker image runs it (`node main.js`; PostgreSQL and Redis when DATABASE_URL/REDIS_URL are set,
//      embedded otherwise), driven by bench/load.ts in a third process for the batch, single and full scenarios of
//      each algorithm, and full-pin10 (the full flow with PINs hashed at N = 2^10, for its CPU without scrypt);
//   3. only when --scenarios names it, `remote` (issue #13 item 2): the token behind an injected round trip of
//      --remote-hsm-ms per PKCS#11 operation (bench/hsm_latency.ts), and for each --sessions value the raw rate through
//      the same latency and the single scenario on a service (or, with --remote-split, a SAM and an api process over
//      mutual TLS) started with that SAM_SESSIONS;
// then prints a table and writes the JSON to bench/results/.
//
//   npm run bench -- [--duration 10] [--concurrency 32] [--scenarios raw,batch,single,full,full-pin10,remote] [--algos p256,rsa2048]
//                    [--batch-sads 200] [--single-sads 8000] [--mint-seconds 25] [--batch-size 100] [--full-users N] [--log-level info]
//                    [--remote-hsm-ms 1] [--sessions 4,8,16,32] [--remote-sads 4000] [--remote-split]
//                    [--out file] [--keep-data] [--cpu-prof dir] [--no-probe]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ALGOS, type AlgoName } from './algos.ts';
import type { BenchUser, LoadJob, LoadResult } from './load.ts';
import type { RawResult } from './raw.ts';
import { parseSessionsList, scalingTable, targets, tokenCallsPerSignature, type ScalingRow } from './remote.ts';
import { ratio, shares } from './stats.ts';
import { storeProcesses } from './store_processes.ts';
import { hashSecret, SCRYPT_DEFAULTS, verifySecret, type ScryptParams } from '../core/slow_hash.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
/** Where the service is compiled for the run (relative to ROOT, so that node_modules resolves). */
const BUILD = path.join('.build', 'bench');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '32' },
    scenarios: { type: 'string', default: 'raw,batch,single,full,full-pin10' },
    algos: { type: 'string', default: 'p256,rsa2048' },
    'batch-sads': { type: 'string', default: '200' },
    'single-sads': { type: 'string', default: '8000' },
    /** Longest time spent minting the SADs of one batch or single run. */
    'mint-seconds': { type: 'string', default: '25' },
    'batch-size': { type: 'string', default: '100' },
    'full-users': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    out: { type: 'string' },
    'keep-data': { type: 'boolean', default: false },
    /** Directory for a V8 CPU profile of the service (node --cpu-prof); summarise with bench/cpu_summary.ts. */
    'cpu-prof': { type: 'string' },
    /** Leave the step probe out of the service: its AsyncLocalStorage and call hooks cost the service CPU of their
     *  own (every promise gets an async hook), which then counts in "CPU per signature outside the token". */
    'no-probe': { type: 'boolean', default: false },
    /** remote: milliseconds added to each async PKCS#11 call (BENCH_HSM_LATENCY_MS of bench/hsm_latency.ts). */
    'remote-hsm-ms': { type: 'string', default: '1' },
    /** remote: the SAM_SESSIONS values, one service each; the smallest is the base of the scaling ratios. */
    sessions: { type: 'string', default: '4,8,16,32' },
    /** remote: one-hash SADs minted per session count (bounded by --mint-seconds too). */
    'remote-sads': { type: 'string', default: '4000' },
    /** remote: the SAM in a process of its own (SERVICES=sam) and an api process (SERVICES=api) over mutual TLS on
     *  loopback, as docs/deployment.md deploys it; needs DATABASE_URL and REDIS_URL. */
    'remote-split': { type: 'boolean', default: false },
  },
});

/** The full flow on the prepared service, whose PINs are hashed at N = 2^10 (PIN_SCRYPT_LOG2N, refused in
 *  production): scrypt then costs a fraction of a millisecond, so "total without scrypt" is measured, not left over
 *  from subtracting a 70–90 ms estimate that itself moves with the load (issue #13 item 1). */
const FULL_PIN10 = 'full-pin10';

const durationMs = Number(values.duration) * 1000;
const concurrency = Number(values.concurrency);
const scenarios = new Set(values.scenarios.split(','));
const algos = values.algos.split(',') as AlgoName[];
for (const a of algos) if (!ALGOS[a]) throw new Error(`unknown algo ${a}; known: ${Object.keys(ALGOS).join(', ')}`);
const batchSize = Number(values['batch-size']);
const fullUsers = Number(values['full-users'] ?? concurrency);
/** full-pin10 signs several times faster than full, and each user gives at most two documents per 30 s TOTP step:
 *  enough users for a few seconds of window. */
const fullPin10Users = Number(values['full-users'] ?? 6 * concurrency);
const remoteMs = Number(values['remote-hsm-ms']);
if (!(remoteMs >= 0)) throw new Error(`--remote-hsm-ms takes milliseconds ≥ 0, got ${values['remote-hsm-ms']}`);
const remoteSessions = parseSessionsList(values.sessions);
const remoteSplit = values['remote-split'];
if (scenarios.has('remote') && remoteSplit && (!process.env.DATABASE_URL || !process.env.REDIS_URL)) {
  throw new Error('--remote-split needs DATABASE_URL and REDIS_URL: split roles refuse the embedded stores');
}
// The service sizes its PKCS#11 pool the same way (core/config.ts SAM_SESSIONS).
const sessions = Number(process.env.SAM_SESSIONS || process.env.UV_THREADPOOL_SIZE || 4);
const PIN = '246810';
/** Credentials per algorithm for batch and single; minting runs two authorize calls in flight per credential. */
const MINT_CREDENTIALS = 8;

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rssp-bench-'));
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function node(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').pop()!) : reject(new Error(`${script} exited ${code}:\n${err}`))));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

type Service = { url: string; adminToken: string; pid: number; stop(): Promise<void> };

type StartOptions = {
  /** DATA_DIR of this process (default the run's): split, the api gets one of its own beside the SAM's token. */
  dataDir?: string;
  /** Modules preloaded with `--import` (default: the step probe, and the CPU profiler when asked). */
  preload?: string[];
  /** Ready when the log matches (the SAM has no CSC API to ask); default: when /csc/v2/info answers 200. */
  readyLog?: RegExp;
};

/** Starts the service as `npm start` does; `name` keeps its log and step profile apart from another run's. */
async function startService(name: string, extraEnv: NodeJS.ProcessEnv = {}, opts: StartOptions = {}): Promise<Service> {
  const port = await freePort();
  const dir = opts.dataDir ?? dataDir;
  const logFile = path.join(dataDir, `service-${name}.log`);
  const fd = openSync(logFile, 'a');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dir,
    LOG_LEVEL: values['log-level'],
    RUNTIME_METRICS: '1',
    // Every bench client logs in from 127.0.0.1; on a shared Redis, other clients' failed logins from the same
    // address would otherwise throttle the set-up (authz login throttling per IP).
    LOGIN_MAX_FAILURES: process.env.LOGIN_MAX_FAILURES ?? '1000',
    // A load test is one client from one address: the request-rate limits of authorize and login (core/policy.ts)
    // would measure the limiter. Every check of the signing path stays on.
    AUTHORIZE_RATE_PER_CLIENT: process.env.AUTHORIZE_RATE_PER_CLIENT ?? '1000000',
    AUTHORIZE_RATE_PER_IP: process.env.AUTHORIZE_RATE_PER_IP ?? '1000000',
    LOGIN_RATE_PER_IP: process.env.LOGIN_RATE_PER_IP ?? '1000000',
    SIGN_RATE_PER_CLIENT: process.env.SIGN_RATE_PER_CLIENT ?? '100000000',
    STEP_PROFILE_FILE: path.join(dataDir, `step-profile-${name}.json`),
    ...extraEnv,
  };
  delete env.SOFTHSM2_CONF;
  const preload = (opts.preload ?? probeArgs()).flatMap((m) => (m.startsWith('--') ? [m] : ['--import', m]));
  const child: ChildProcess = spawn(process.execPath, [...preload, path.join(BUILD, 'main.js')], { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8')}`);
    try {
      if (opts.readyLog) {
        if (opts.readyLog.test(readFileSync(logFile, 'utf8'))) break;
      } else {
        const res = await fetch(`${url}/csc/v2/info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        if (res.status === 200) break;
      }
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('service did not start in time');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    adminToken: opts.readyLog ? '' : readFileSync(path.join(dir, 'admin-token'), 'utf8').trim(),
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** The step profile (bench/step_probe.ts) is preloaded into the service when present: it times PIN hashing, HSM
 *  calls and database queries per route, for the share of each step in the full scenario. */
function probeArgs(): string[] {
  const cpu = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [];
  return values['no-probe'] ? cpu : [...cpu, `./${path.join(BUILD, 'bench', 'step_probe.js')}`];
}

async function call(svc: Service, method: string, p: string, body: unknown, auth: string): Promise<any> {
  const res = await fetch(`${svc.url}${p}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: auth },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** A user with `credentials` credentials of `algo`, logged in (auth/login, CSC v2 §11.2). */
async function makeUser(svc: Service, name: string, algo: AlgoName, opts: { scal: '1' | '2'; otp: boolean; credentials: number; multisign: number }): Promise<BenchUser[]> {
  const admin = `Bearer ${svc.adminToken}`;
  const password = `pw-${name}-bench`;
  await call(svc, 'POST', '/admin/users', { username: name, password }, admin);
  const otpSecret = opts.otp ? (await call(svc, 'POST', `/admin/users/${name}/otp`, {}, admin)).secret : undefined;
  const a = ALGOS[algo];
  const ids: string[] = [];
  for (let i = 0; i < opts.credentials; i++) {
    const body = { algo: a.adminAlgo, ...(a.rsaBits ? { rsaBits: a.rsaBits } : {}), pin: PIN, multisign: opts.multisign, scal: opts.scal };
    ids.push((await call(svc, 'POST', `/admin/users/${name}/credentials`, body, admin)).credentialID);
  }
  const basic = `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
  const { access_token } = await call(svc, 'POST', '/csc/v2/auth/login', {}, basic);
  return ids.map((credentialID) => ({ bearer: access_token, credentialID, pin: PIN, ...(otpSecret ? { otpSecret } : {}) }));
}

async function inParallel<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

function machine() {
  let softhsm = 'unknown';
  try {
    softhsm = execFileSync('softhsm2-util', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    /* not on PATH */
  }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    softhsm,
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
    samSessions: sessions,
    database: process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite',
    kv: process.env.REDIS_URL ? 'Redis (REDIS_URL)' : 'in-process',
    clusterWorkers: Number(process.env.CLUSTER_WORKERS || 1),
    logLevel: values['log-level'],
  };
}

/**
 * CPU milliseconds per signature (issue #13). service: the service process (all threads); token: what the token
 * itself spends per signature, from the raw run on the same token (ECDSA: sign and verify, both done by the token;
 * RSA: sign only, the verify being Node's work in the service); outsideToken = service − token. postgres and redis:
 * the cluster of DATABASE_URL and the redis-server of REDIS_URL during the window (bench/store_processes.ts). total = outsideToken + postgres + redis. full only:
 * scrypt, the CPU of one PIN check at the production cost measured in this process, and total without it.
 */
type CpuPerSignature = {
  service: number;
  token: number | null;
  outsideToken: number | null;
  postgres: number | null;
  redis: number | null;
  total: number | null;
  scrypt?: number;
  totalWithoutScrypt?: number | null;
};
type Row = LoadResult & { ratio: number | null; ratioSignVerify: number | null; cpuPerSignatureMs?: CpuPerSignature };
type RawRun = { when: 'before' | 'after'; results: RawResult[] };

/** remote: one point per SAM_SESSIONS value and algorithm. */
type RemotePointRun = {
  sessions: number;
  algo: AlgoName;
  raw: RawResult | null;
  load: LoadResult;
  /** Peak RSS and cores of each process over the window: the service (or the api), and the SAM when split. */
  processes: Record<string, { peakRssBytes: number | null; cores: number | null }>;
  /** The machine's 1-minute load average when the window ended: other work on a shared machine shows here. */
  loadAverage: number;
};

const started = new Date();
const rawRuns: RawRun[] = [];
const remotePoints: RemotePointRun[] = [];
/** Processes of the remote scenario still running, stopped in the finally block if the run fails. */
const remoteProcesses: Service[] = [];
const rows: Row[] = [];
/** Resolved once: the stores' processes do not change during a run. */
const stores = storeProcesses();
let profile: unknown = null;
let svc: Service | null = null;
try {
  const e2e = ['batch', 'single', 'full'].filter((s) => scenarios.has(s)) as LoadJob['scenario'][];
  const fullPin10 = scenarios.has(FULL_PIN10);
  if (scenarios.has('raw')) await measureRaw('before', e2e.length || fullPin10 ? durationMs / 2 : durationMs);
  const prepared = e2e.filter((x) => x !== 'full');
  if (e2e.length || fullPin10) {
    log(`compiling the service into ${BUILD}`);
    execFileSync('bash', ['scripts/build.sh', BUILD], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (prepared.length || fullPin10) {
    // batch and single sign SADs minted beforehand, hundreds per run: each needs a PIN check, and at the production
    // scrypt cost (N = 2^15, tens of ms of CPU each) minting would take minutes and only a few seconds of signHash
    // could be measured. Their credentials get PINs hashed at N = 2^10 (PIN_SCRYPT_LOG2N, refused in production).
    // That changes the preparation only: signHash never looks at the PIN.
    log('starting the service for batch and single (PIN_SCRYPT_LOG2N=10)');
    svc = await startService('prepared', { PIN_SCRYPT_LOG2N: '10' });
    for (const algo of algos) {
      log(`${algo}: creating users and credentials`);
      // SCAL 1 credentials with a PIN and no OTP. Each SAD still binds its exact hashes (SCAL 1 with hashes binds
      // as strictly, sam/app/activate.ts) and signHash runs every check it runs at SCAL 2; only activation differs,
      // and it is preparation here. Eight credentials, so that minting at 16 in flight stays under the lockout's
      // in-flight limit per credential (bench/load.ts spreads the calls round robin).
      const users = await makeUser(svc, `bench-${algo}-${Date.now().toString(36)}`, algo, { scal: '1', otp: false, credentials: MINT_CREDENTIALS, multisign: batchSize });
      for (const scenario of prepared) await runLoad(svc, scenario, algo, users);
      if (fullPin10) await runLoad(svc, 'full', algo, await fullFlowUsers(svc, algo, fullPin10Users), { label: FULL_PIN10 });
    }
    await svc.stop();
    svc = null;
  }
  if (e2e.includes('full')) {
    // full measures activation itself: PINs at the production scrypt cost, PIN + TOTP, SCAL 2.
    log('starting the service for full (production PIN cost)');
    svc = await startService('full');
    for (const algo of algos) {
      await runLoad(svc, 'full', algo, await fullFlowUsers(svc, algo, fullUsers));
    }
  }
  if (scenarios.has('raw') && e2e.length) {
    await svc?.stop();
    svc = null;
    await measureRaw('after', durationMs / 2);
  }
  await svc?.stop();
  svc = null;
  if (scenarios.has('remote')) {
    if (!e2e.length) {
      log(`compiling the service into ${BUILD}`);
      execFileSync('bash', ['scripts/build.sh', BUILD], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    await runRemote();
  }
} finally {
  await svc?.stop();
  for (const p of remoteProcesses) await p.stop();
  profile = readProfile();
  if (!values['keep-data']) rmSync(dataDir, { recursive: true, force: true });
  else log(`data kept in ${dataDir}`);
}

async function measureRaw(when: RawRun['when'], ms: number): Promise<void> {
  log(`raw PKCS#11 rate (${when}): ${algos.join(', ')}, concurrency ${concurrency}, ${sessions} sessions`);
  const out = await node('bench/raw.ts', ['--duration', String(ms / 1000), '--concurrency', String(concurrency), '--algos', algos.join(','), '--sessions', String(sessions)], {
    ...process.env,
    DATA_DIR: dataDir,
  });
  rawRuns.push({ when, results: JSON.parse(out) as RawResult[] });
}

/** remote (issue #13 item 2): per SAM_SESSIONS value, the raw rate through the injected latency, then the single
 *  scenario on a service (or a SAM and an api process) holding that many sessions, all at one concurrency. */
async function runRemote(): Promise<void> {
  const remoteConcurrency = Math.max(concurrency, ...remoteSessions);
  const latencyPreload = `./${path.join(BUILD, 'bench', 'hsm_latency.js')}`;
  let tlsDir = '';
  if (remoteSplit) {
    tlsDir = path.join(dataDir, 'tls');
    execFileSync(process.execPath, [path.join(BUILD, 'admin', 'cli.js'), 'tls:dev', '--out', tlsDir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  for (const n of remoteSessions) {
    // The thread pool is sized as docs/performance.md recommends for a network HSM (SAM_SESSIONS + 4): async PKCS#11
    // calls and scrypt share it, and a pool smaller than the sessions would be the limit instead of the token.
    const env: NodeJS.ProcessEnv = { SAM_SESSIONS: String(n), UV_THREADPOOL_SIZE: String(n + 4), BENCH_HSM_LATENCY_MS: String(remoteMs) };
    log(`remote: raw PKCS#11 rate through ${remoteMs} ms per call, ${n} sessions, concurrency ${remoteConcurrency}`);
    const raw = JSON.parse(
      await node('bench/raw.ts', ['--duration', String(durationMs / 2000), '--concurrency', String(remoteConcurrency), '--algos', algos.join(','), '--sessions', String(n)], {
        ...process.env,
        ...env,
        DATA_DIR: dataDir,
      }),
    ) as RawResult[];
    // PINs at N = 2^10 as for batch and single: minting is preparation (see startService('prepared')).
    const serviceEnv = { ...env, PIN_SCRYPT_LOG2N: '10' };
    let front: Service;
    let watch: Record<string, number> | undefined;
    if (remoteSplit) {
      const samPort = await freePort();
      const tls = (f: string) => path.join(tlsDir, f);
      log(`remote: starting the SAM (SERVICES=sam, ${n} sessions) and an api process (SERVICES=api) over mutual TLS`);
      const sam = await startService(`remote-${n}-sam`, {
        ...serviceEnv, SERVICES: 'sam', SAM_LISTEN: `127.0.0.1:${samPort}`, SAM_TLS_CA: tls('ca.pem'), SAM_TLS_CERT: tls('sam.pem'), SAM_TLS_KEY: tls('sam-key.pem'),
      }, { preload: [latencyPreload], readyLog: /SAM listening/ });
      remoteProcesses.push(sam);
      // The api loads no PKCS#11 code (docs/deployment.md), so neither the latency nor the step probe (which
      // hooks pkcs11js) is preloaded into it.
      front = await startService(`remote-${n}-api`, {
        ...serviceEnv, SERVICES: 'api', SAM_URL: `https://127.0.0.1:${samPort}`, SAM_TLS_CA: tls('ca.pem'), SAM_TLS_CERT: tls('api.pem'), SAM_TLS_KEY: tls('api-key.pem'),
      }, { dataDir: path.join(dataDir, 'api'), preload: [] });
      remoteProcesses.push(front);
      watch = { sam: sam.pid };
    } else {
      log(`remote: starting the service (${n} sessions)`);
      front = await startService(`remote-${n}`, serviceEnv, { preload: [latencyPreload, ...probeArgs()] });
      remoteProcesses.push(front);
    }
    for (const algo of algos) {
      const users = await makeUser(front, `bench-remote-${algo}-${n}-${Date.now().toString(36)}`, algo, { scal: '1', otp: false, credentials: MINT_CREDENTIALS, multisign: 1 });
      const load = await runLoad(front, 'single', algo, users, { sads: Number(values['remote-sads']), watch, remote: true, concurrency: remoteConcurrency });
      const processes: RemotePointRun['processes'] = { [remoteSplit ? 'api' : 'service']: { peakRssBytes: load.server.peakRssBytes, cores: load.cpu.service } };
      if (load.watched?.sam) processes.sam = load.watched.sam;
      remotePoints.push({ sessions: n, algo, raw: raw.find((r) => r.algo === algo) ?? null, load, processes, loadAverage: os.loadavg()[0]! });
    }
    while (remoteProcesses.length) await remoteProcesses.pop()!.stop();
  }
}

/** The reference rates of an algorithm: the mean of its raw runs, and the token's CPU per operation. */
function rawReference(algo: string): { sign: number; signVerify: number; signCpuMs: number; signVerifyCpuMs: number } | undefined {
  const rs = rawRuns.flatMap((run) => run.results.filter((r) => r.algo === algo));
  if (!rs.length) return undefined;
  const mean = (f: (r: RawResult) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
  return {
    sign: mean((r) => r.sign.opsPerSec),
    signVerify: mean((r) => r.signVerify.opsPerSec),
    signCpuMs: mean((r) => r.sign.cpuMsPerOp),
    signVerifyCpuMs: mean((r) => r.signVerify.cpuMsPerOp),
  };
}

/** The signers of a full run: one user per concurrent signer (a TOTP step is accepted once per user), SCAL 2. */
async function fullFlowUsers(s: Service, algo: AlgoName, count: number): Promise<BenchUser[]> {
  log(`${algo}: creating ${count} users`);
  const stamp = Date.now().toString(36);
  const make = (i: number) => () => makeUser(s, `bench-${algo}-${stamp}-u${i}`, algo, { scal: '2', otp: true, credentials: 1, multisign: 1 });
  return (await inParallel(4, Array.from({ length: count }, (_, i) => make(i)))).flat();
}

/** CPU of one PIN check at a scrypt cost, in this process (the same code the SAM runs): the production cost for
 *  full, N = 2^10 for full-pin10. */
async function scryptCpuMs(params: ScryptParams): Promise<number> {
  const stored = await hashSecret('246810', params);
  const n = params.N > 1 << 12 ? 8 : 64;
  const at = process.cpuUsage();
  for (let i = 0; i < n; i++) await verifySecret('246810', stored);
  const cpu = process.cpuUsage(at);
  return (cpu.user + cpu.system) / 1000 / n;
}

function cpuPerSignature(r: LoadResult, scryptMs: number | null): CpuPerSignature {
  const ref = rawReference(r.algo);
  const per = (seconds: number | null) => (seconds === null || r.signatures === 0 ? null : (seconds * 1000) / r.signatures);
  const service = per(r.cpu.seconds.service)!;
  const token = ref ? (ALGOS[r.algo as AlgoName].scheme.kind === 'ecdsa' ? ref.signVerifyCpuMs : ref.signCpuMs) : null;
  const outsideToken = token === null ? null : service - token;
  // Embedded stores: their CPU is already in the service's; the machine's servers are not part of this run.
  const postgres = process.env.DATABASE_URL ? per(r.cpu.seconds.postgres) : 0;
  const redis = process.env.REDIS_URL ? per(r.cpu.seconds.redis) : 0;
  const total = outsideToken === null || postgres === null ? null : outsideToken + postgres + (redis ?? 0);
  const out: CpuPerSignature = { service, token, outsideToken, postgres, redis, total };
  if (r.scenario.startsWith('full') && scryptMs !== null) {
    // One PIN check per document, and one signature per document.
    out.scrypt = scryptMs;
    out.totalWithoutScrypt = total === null ? null : total - scryptMs;
  }
  return out;
}

/** Runs one scenario in the load generator; the result joins the main table unless `opts.remote` (its own table). */
async function runLoad(s: Service, scenario: LoadJob['scenario'], algo: AlgoName, users: BenchUser[], opts: { sads?: number; watch?: Record<string, number>; remote?: boolean; concurrency?: number; label?: string } = {}): Promise<LoadResult> {
  const job: LoadJob = {
    url: s.url,
    adminToken: s.adminToken,
    scenario,
    algo,
    signAlgo: ALGOS[algo].signAlgo,
    concurrency: opts.concurrency ?? concurrency,
    durationMs,
    sads: opts.sads ?? (scenario === 'batch' ? Number(values['batch-sads']) : Number(values['single-sads'])),
    batchSize,
    mintConcurrency: scenario === 'full' ? 4 : 2 * MINT_CREDENTIALS,
    mintMaxMs: Number(values['mint-seconds']) * 1000,
    users,
    ...(opts.watch ? { watch: opts.watch } : {}),
    stores: await stores,
  };
  log(`${algo} ${opts.label ?? scenario}: ${scenario === 'full' ? `${Math.min(concurrency, users.length)} signers` : `minting ${job.sads} SADs, then signHash at concurrency ${job.concurrency}`}`);
  const result = JSON.parse(await node('bench/load.ts', [], { ...process.env, BENCH_JOB: JSON.stringify(job) })) as LoadResult;
  if (opts.label) result.scenario = opts.label;
  if (!opts.remote) rows.push({ ...result, ratio: null, ratioSignVerify: null });
  if (result.errors) log(`  ${result.errors} error(s); first: ${result.firstError}`);
  return result;
}

/** What bench/step_probe.ts recorded in the service, per phase and route, with each step's share of the wall time. */
function readProfile(): unknown {
  const totals: Record<string, { requests: number; wallMs: number; steps: Record<string, { count: number; ms: number }> }> = {};
  for (const name of ['prepared', 'full']) {
    try {
      Object.assign(totals, JSON.parse(readFileSync(path.join(dataDir, `step-profile-${name}.json`), 'utf8')));
    } catch {
      /* that service did not run */
    }
  }
  if (!Object.keys(totals).length) return null;
  return Object.fromEntries(
    Object.entries(totals).map(([key, t]) => {
      const stepMs = Object.fromEntries(Object.entries(t.steps).map(([k, v]) => [k, v.ms]));
      const other = Math.max(0, t.wallMs - Object.values(stepMs).reduce((a, b) => a + b, 0));
      return [key, { requests: t.requests, meanWallMs: t.wallMs / t.requests, perRequestMs: Object.fromEntries(Object.entries({ ...stepMs, other }).map(([k, v]) => [k, v / t.requests])), share: shares({ ...stepMs, other }), calls: Object.fromEntries(Object.entries(t.steps).map(([k, v]) => [k, v.count / t.requests])) }];
    }),
  );
}

// Ratios against the mean of the raw runs, now that both are in, and the CPU per signature outside the token.
const scryptMs = {
  full: rows.some((r) => r.scenario === 'full') ? await scryptCpuMs(SCRYPT_DEFAULTS) : null,
  [FULL_PIN10]: rows.some((r) => r.scenario === FULL_PIN10) ? await scryptCpuMs({ ...SCRYPT_DEFAULTS, N: 1 << 10 }) : null,
};
for (const r of rows) {
  const ref = rawReference(r.algo);
  r.ratio = ratio(r.signaturesPerSec, ref?.sign);
  r.ratioSignVerify = ratio(r.signaturesPerSec, ref?.signVerify);
  r.cpuPerSignatureMs = cpuPerSignature(r, scryptMs[r.scenario as keyof typeof scryptMs] ?? null);
}

/** remote: per algorithm, the scaling table against the smallest session count (bench/remote.ts). */
const remoteTables: Record<string, ScalingRow[]> = {};
for (const algo of algos) {
  const points = remotePoints.filter((p) => p.algo === algo);
  if (!points.length) continue;
  const calls = tokenCallsPerSignature(ALGOS[algo].scheme.kind);
  remoteTables[algo] = scalingTable(
    points.map((p) => ({
      sessions: p.sessions,
      signaturesPerSec: p.load.signaturesPerSec,
      p99Ms: p.load.latencyMs.p99,
      peakRssBytes: Math.max(...Object.values(p.processes).map((x) => x.peakRssBytes ?? 0)),
      rawSignPerSec: p.raw?.sign.opsPerSec ?? null,
      rawSignVerifyPerSec: p.raw?.signVerify.opsPerSec ?? null,
    })),
    remoteMs,
    calls,
  );
}

const report = {
  startedAt: started.toISOString(),
  options: { durationS: durationMs / 1000, concurrency, scenarios: [...scenarios], algos, batchSize, fullUsers, stepProbe: !values['no-probe'] },
  machine: machine(),
  raw: { runs: rawRuns, reference: Object.fromEntries(algos.map((a) => [a, rawReference(a)])) },
  endToEnd: rows,
  ...(remotePoints.length
    ? { remote: { injectedLatencyMs: remoteMs, sessions: remoteSessions, split: remoteSplit, concurrency: Math.max(concurrency, ...remoteSessions), points: remotePoints, scaling: remoteTables } }
    : {}),
  profile,
};

const fmt = (x: number | null | undefined, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
const mb = (b: number | undefined) => (b ? (b / 1048576).toFixed(0) : '-');
const lines: string[] = [];
lines.push(['scenario', 'algo', 'req/s', 'sig/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max loop ms', 'peak RSS MB', 'e2e/raw', 'e2e/raw+verify', 'n', 'errors'].join(' | '));
for (const { when, results } of rawRuns) for (const r of results) {
  lines.push([`raw sign (${when})`, r.algo, fmt(r.sign.opsPerSec), fmt(r.sign.opsPerSec), fmt(r.sign.latencyMs.p50, 1), fmt(r.sign.latencyMs.p95, 1), fmt(r.sign.latencyMs.p99, 1), '-', mb(r.peakRssBytes), '1.00', '-', String(r.sign.ops), '0'].join(' | '));
  lines.push([`raw sign+verify (${when})`, r.algo, fmt(r.signVerify.opsPerSec), fmt(r.signVerify.opsPerSec), fmt(r.signVerify.latencyMs.p50, 1), fmt(r.signVerify.latencyMs.p95, 1), fmt(r.signVerify.latencyMs.p99, 1), '-', mb(r.peakRssBytes), fmt(r.signVerify.opsPerSec / r.sign.opsPerSec, 2), '1.00', String(r.signVerify.ops), '0'].join(' | '));
}
for (const r of rows) {
  lines.push([r.scenario, r.algo, fmt(r.requestsPerSec), fmt(r.signaturesPerSec), fmt(r.latencyMs.p50, 1), fmt(r.latencyMs.p95, 1), fmt(r.latencyMs.p99, 1), fmt(r.server.eventLoopDelayMaxMs, 1), mb(r.server.peakRssBytes), fmt(r.ratio, 2), fmt(r.ratioSignVerify, 2), String(r.requests), String(r.errors)].join(' | '));
}
for (const a of algos) {
  const ref = rawReference(a);
  if (!ref) continue;
  lines.push(['raw sign (mean: reference)', a, fmt(ref.sign), fmt(ref.sign), '-', '-', '-', '-', '-', '1.00', '-', '-', '-'].join(' | '));
  lines.push(['raw sign+verify (mean: reference)', a, fmt(ref.signVerify), fmt(ref.signVerify), '-', '-', '-', '-', '-', fmt(ref.signVerify / ref.sign, 2), '1.00', '-', '-'].join(' | '));
}
if (rows.length || rawRuns.length) process.stdout.write(`\n${lines.join('\n')}\n`);
if (rows.length) {
  lines.length = 0;
  lines.push('', `CPU during the measured windows, in cores of ${os.cpus().length}:`, 'scenario | algo | service | PostgreSQL | Redis | load generator');
  for (const r of rows) lines.push([r.scenario, r.algo, fmt(r.cpu.service, 2), fmt(r.cpu.postgres, 2), fmt(r.cpu.redis, 2), fmt(r.cpu.loader, 2)].join(' | '));
  lines.push(
    '',
    `CPU ms per signature (token: from the raw run; outside = service - token; total = outside + PostgreSQL + Redis${values['no-probe'] ? '' : '; the step probe\'s own cost is in the service column, --no-probe leaves it out'}):`,
    'scenario | algo | service | token | outside token | PostgreSQL | Redis | total | scrypt | total without scrypt',
  );
  // Without DATABASE_URL/REDIS_URL the stores run inside the service process: their CPU is in its column, and the
  // machine's postgres and redis-server processes (idle or busy with something else) say nothing about this run.
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
    lines.splice(lines.length - 1, 0, `(${[!process.env.DATABASE_URL && 'embedded PGlite', !process.env.REDIS_URL && 'in-process store'].filter(Boolean).join(' and ')}: counted in the service column; set DATABASE_URL and REDIS_URL for the deployment figures)`);
  }
  for (const r of rows) {
    const c = r.cpuPerSignatureMs!;
    lines.push([r.scenario, r.algo, fmt(c.service, 3), fmt(c.token, 3), fmt(c.outsideToken, 3), fmt(c.postgres, 3), fmt(c.redis, 3), fmt(c.total, 3), fmt(c.scrypt, 3), fmt(c.totalWithoutScrypt, 3)].join(' | '));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
for (const r of rows.filter((x) => x.scenario.startsWith('full'))) {
  process.stdout.write(`${r.scenario} ${r.algo}: authorize p50 ${fmt(r.authorizeMs?.p50, 1)} ms, signHash p50 ${fmt(r.signHashMs?.p50, 1)} ms per document\n`);
}
/** remote: the host's CPU per signature in the window (the service or the api and the SAM, and PostgreSQL; not the
 *  load generator): with it, a machine of C free cores cannot sign faster than C × 1000 ÷ this, whatever the sessions. */
function cpuMsPerSignature(p: RemotePointRun): number | null {
  const cores = [...Object.values(p.processes).map((x) => x.cores), process.env.DATABASE_URL ? p.load.cpu.postgres : 0];
  if (cores.some((c) => c === null) || !(p.load.signaturesPerSec > 0)) return null;
  return (cores.reduce((a: number, c) => a + c!, 0) * 1000) / p.load.signaturesPerSec;
}

for (const [algo, table] of Object.entries(remoteTables)) {
  const out: string[] = [
    '',
    `remote HSM, ${algo}: ${remoteMs} ms added to each PKCS#11 call, single at concurrency ${Math.max(concurrency, ...remoteSessions)}, ${remoteSplit ? 'SAM and api split over mutual TLS' : 'one process'}; ceiling = sessions ÷ (${tokenCallsPerSignature(ALGOS[algo as AlgoName].scheme.kind)} calls × ${remoteMs} ms)`,
    ['sessions', 'sig/s', 'p50 ms', 'p95 ms', 'p99 ms', remoteSplit ? 'api RSS MB' : 'RSS MB', ...(remoteSplit ? ['SAM RSS MB'] : []), remoteSplit ? 'api cores' : 'service cores', ...(remoteSplit ? ['SAM cores'] : []), 'PostgreSQL cores', 'CPU ms/sig', 'raw sign/s', 'raw sign+verify/s', 'e2e/raw', 'e2e/raw+verify', 'scaling', 'ideal', 'raw scaling', 'ceiling sig/s', 'of ceiling', 'linear', 'p99≤50', 'RSS≤300', 'requests timed', 'errors', 'load avg'].join(' | '),
  ];
  for (const row of table) {
    const p = remotePoints.find((x) => x.algo === algo && x.sessions === row.sessions)!;
    const front = p.processes[remoteSplit ? 'api' : 'service']!;
    const t = targets(row);
    const yes = (b: boolean | null) => (b === null ? '-' : b ? 'yes' : 'no');
    out.push([
      String(row.sessions), fmt(row.signaturesPerSec), fmt(p.load.latencyMs.p50, 1), fmt(p.load.latencyMs.p95, 1), fmt(row.p99Ms, 1),
      mb(front.peakRssBytes ?? undefined), ...(remoteSplit ? [mb(p.processes.sam?.peakRssBytes ?? undefined)] : []),
      fmt(front.cores, 2), ...(remoteSplit ? [fmt(p.processes.sam?.cores, 2)] : []), fmt(p.load.cpu.postgres, 2), fmt(cpuMsPerSignature(p), 2),
      fmt(row.rawSignPerSec), fmt(row.rawSignVerifyPerSec), fmt(row.ratioRawSign, 2), fmt(row.ratioRawSignVerify, 2),
      fmt(row.scaling, 2), fmt(row.ideal, 2), fmt(row.rawScaling, 2), fmt(row.ceiling), fmt(row.ofCeiling, 2),
      yes(t.linear), yes(t.p99), yes(t.rss), String(p.load.requests), String(p.load.errors), fmt(p.loadAverage, 1),
    ].join(' | '));
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
const outFile = values.out ?? path.join(ROOT, 'bench', 'results', `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(report, null, 2) + '\n');
process.stdout.write(`\nJSON: ${path.relative(process.cwd(), outFile)}\n`);
