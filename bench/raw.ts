// Raw PKCS#11 rate: the SAM's own key backend (openPkcs11Hsm, the same pool and async C_Sign the service uses)
// signing digests directly, at the benchmark's concurrency, on the service's own token under DATA_DIR. Run by
// bench/run.ts as a child process while the service is stopped, so that the token has the machine to itself.
// Prints one JSON line (RawResult[]) on stdout. With BENCH_HSM_LATENCY_MS set (the remote-HSM mode), every async
// PKCS#11 call goes through the same injected latency as the service's (bench/hsm_latency.ts).
//
//   DATA_DIR=… node --import tsx bench/raw.ts --duration 10 --concurrency 32 --algos p256,rsa2048 --sessions 4
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { openPkcs11Hsm } from '../sam/hsm/pkcs11/index.ts';
import { verifySignature } from '../sam/app/signing/verify_signature.ts';
import type { DigestSignScheme, Hsm } from '../sam/hsm/hsm.ts';
import { ensureDevToken } from '../softhsm-config/dev_token.ts';
import { ALGOS, type AlgoName } from './algos.ts';
import { injectedLatencyMs } from './hsm_latency.ts';
import { rate, summarize, type LatencySummary } from './stats.ts';

export type RawResult = {
  algo: AlgoName;
  /** sign only: the HSM's rate, the reference of every ratio. cpuMsPerOp: this process's CPU (all threads: the
   *  software token's work and the little JavaScript that drives it) per operation. */
  sign: { ops: number; opsPerSec: number; latencyMs: LatencySummary; cpuMsPerOp: number };
  /** sign then verify, as the SAM does before returning a signature (DESIGN §2.4). */
  signVerify: { ops: number; opsPerSec: number; latencyMs: LatencySummary; cpuMsPerOp: number };
  sessions: number;
  concurrency: number;
  /** Milliseconds added to each async PKCS#11 call (BENCH_HSM_LATENCY_MS); 0 for the local token as it is. */
  injectedLatencyMs: number;
  peakRssBytes: number;
};

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '32' },
    algos: { type: 'string', default: 'p256,rsa2048' },
    sessions: { type: 'string', default: process.env.UV_THREADPOOL_SIZE ?? '4' },
    label: { type: 'string', default: process.env.SAM_TOKEN_LABEL ?? 'rssp-sam' },
  },
});

const durationMs = Number(values.duration) * 1000;
const concurrency = Number(values.concurrency);
const sessions = Number(values.sessions);
const dataDir = process.env.DATA_DIR;
if (!dataDir) throw new Error('DATA_DIR is required');

const token = await ensureDevToken({ dataDir, label: values.label });
const hsm = await openPkcs11Hsm({ module: token.module, tokenLabel: values.label, pin: token.pin, sessions });
let peakRss = process.memoryUsage.rss();
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);

/** Runs `op` in `concurrency` loops for `ms`; returns the latencies of the operations that finished in time. */
async function measure(ms: number, op: () => Promise<void>): Promise<{ latencies: number[]; elapsedMs: number; cpuMs: number }> {
  const latencies: number[] = [];
  const cpuAt = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const cpu = process.cpuUsage(cpuAt);
  return { latencies, elapsedMs: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const results: RawResult[] = [];
try {
  for (const name of values.algos.split(',') as AlgoName[]) {
    const algo = ALGOS[name];
    if (!algo) throw new Error(`unknown algo ${name}`);
    const pair = await hsm.generateKeyPair({ algo: algo.keyAlgo, label: `bench-raw-${name}-${randomBytes(4).toString('hex')}` });
    const key = { keyId: pair.keyId, publicKey: createPublicKey({ key: Buffer.from(pair.spki), format: 'der', type: 'spki' }) };
    const scheme = algo.scheme;
    const digest = () => createHash('sha256').update(randomBytes(32)).digest();
    const sign = async () => {
      await hsm.signDigest(key.keyId, scheme, digest());
    };
    const signVerify = async () => {
      const d = digest();
      const sig = await hsm.signDigest(key.keyId, scheme, d);
      if (!(await verifySignature(hsm as Hsm, key, scheme as DigestSignScheme, d, sig))) throw new Error('raw signature does not verify');
    };
    await measure(Math.min(1000, durationMs / 5), sign); // warm-up: handles cached, threads started
    peakRss = process.memoryUsage.rss();
    const s = await measure(durationMs, sign);
    const sv = await measure(Math.max(1000, durationMs / 2), signVerify);
    results.push({
      algo: name,
      sign: { ops: s.latencies.length, opsPerSec: rate(s.latencies.length, s.elapsedMs), latencyMs: summarize(s.latencies), cpuMsPerOp: s.cpuMs / s.latencies.length },
      signVerify: {
        ops: sv.latencies.length,
        opsPerSec: rate(sv.latencies.length, sv.elapsedMs),
        latencyMs: summarize(sv.latencies),
        cpuMsPerOp: sv.cpuMs / sv.latencies.length,
      },
      sessions,
      concurrency,
      injectedLatencyMs,
      peakRssBytes: peakRss,
    });
  }
} finally {
  clearInterval(rssTimer);
  await hsm.close();
}
process.stdout.write(JSON.stringify(results) + '\n');
