// `npm start`: one process serving the CSC API, the admin API and (later) the authorization server. With
// CLUSTER_WORKERS > 1 the process becomes a node:cluster primary that forks that many workers sharing the port;
// each worker is the same one-process service (its own PKCS#11 sessions and pg pool), so a multi-core machine signs
// on every core (docs/performance.md).
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './core/config.ts';
import { startService } from './service.ts';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`configuration error: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

if (config.clusterWorkers > 1 && cluster.isPrimary) {
  await runPrimary(config);
} else {
  await runWorker(config);
}

async function runWorker(config: Config): Promise<void> {
  try {
    const service = await startService(config);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      service.log.info({ signal }, 'shutting down');
      await service.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  } catch (err) {
    console.error(`failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
}

/**
 * Forks the first worker alone and waits until it listens: it runs the migrations and creates the SAM's keys in
 * the token, so that the others find them instead of racing to create their own. Then forks the rest. A worker
 * that dies is replaced; SIGTERM/SIGINT are passed on and the primary exits when every worker has.
 */
async function runPrimary(config: Config): Promise<void> {
  let stopping = false;
  const fork = () => cluster.fork();
  const listening = (w: ReturnType<typeof fork>) =>
    new Promise<void>((resolve, reject) => {
      w.once('listening', () => resolve());
      w.once('exit', (code) => reject(new Error(`worker exited with ${code} before listening`)));
    });
  try {
    await listening(fork());
    await Promise.all(Array.from({ length: config.clusterWorkers - 1 }, () => listening(fork())));
  } catch (err) {
    console.error(`failed to start: ${(err as Error).message}`);
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    process.exit(1);
  }
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const w of workers) w?.process.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
