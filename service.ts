// Composition root: builds the parts that SERVICES names from one Config (DESIGN §4), each through its front door —
// sam/index.ts, authz/index.ts, rssp/index.ts, admin/index.ts — given only its own configuration (configFor), and
// nothing else but core/ (scripts/check-deps.sh holds it to that). `all` serves everything on one Koa server; `sam`
// serves only the SAM, over mutual TLS; `api` serves rssp, authz and the admin API and reaches that SAM through a
// client of the same port (connectSam). Embedded defaults (DESIGN §3) are decided here and by the SAM's door for its
// token, nowhere else: PGlite when DATABASE_URL is unset, an in-process KV when REDIS_URL is unset, a SoftHSM token
// under DATA_DIR when PKCS11_MODULE is unset (sam/index.ts).
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { createAdmin, opsRoutes, type ReadinessChecks } from './admin/index.ts';
import { createAuthz, openUsers } from './authz/index.ts';
import type { AuditTrail } from './core/audit_port.ts';
import { configFor, type Config } from './core/config.ts';
import { createPool, migrate, SCHEMAS } from './core/db.ts';
import { startEmbeddedPg } from './core/embedded_pg.ts';
import { createMemoryKv, createRedisKv } from './core/kv.ts';
import { createLogger, type Logger } from './core/log.ts';
import { createMetrics, meterSam } from './core/metrics.ts';
import { RateLimiter, ratePolicy } from './core/policy.ts';
import type { OutboxReader } from './core/ports.ts';
import { schedulePurge, type PurgeJob } from './core/purge.ts';
import type { SignatureActivation } from './core/sam_port.ts';
import { connectSam, createCredentials, createRssp } from './rssp/index.ts';

export type RunningService = {
  url: string;
  port: number;
  /** Absent when this process runs the SAM alone: it serves no admin API. */
  adminToken?: string;
  /** Where the admin API answers: its own listener (ADMIN_LISTEN) or the service's. */
  adminUrl?: string;
  log: Logger;
  close(): Promise<void>;
};

/** The schemas each role migrates: the SAM's own, or everything else (DESIGN §3 data ownership). */
const SCHEMAS_OF: Record<Config['services'], readonly string[]> = {
  all: SCHEMAS,
  sam: ['sam'],
  api: SCHEMAS.filter((s) => s !== 'sam'),
};

/**
 * Serves `app` on HOST:PORT. close() stops accepting connections, lets the requests in flight finish (for at most
 * SHUTDOWN_GRACE_SECONDS), closes keep-alive connections as they fall idle, and then cuts whatever is left.
 */
async function listenHttp(app: Koa, config: Config, log: Logger): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        const idle = setInterval(() => server.closeIdleConnections(), 100);
        const cut = setTimeout(() => {
          log.warn({ graceSeconds: config.shutdownGraceSeconds }, 'requests still running at the end of the shutdown grace: cut');
          server.closeAllConnections();
        }, config.shutdownGraceSeconds * 1000);
        server.close(() => {
          clearInterval(idle);
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

export async function startService(config: Config, opts: { log?: Logger } = {}): Promise<RunningService> {
  const log = opts.log ?? createLogger(config.logLevel);
  const closers: Array<() => Promise<void>> = [];
  // From the first signal on, /readyz answers 503 so that load balancers stop sending; requests in flight finish.
  let draining = false;
  const close = async () => {
    draining = true;
    for (const fn of closers.reverse()) await fn().catch((err) => log.warn({ err }, 'error while closing'));
  };
  const metrics = createMetrics();
  try {
    mkdirSync(config.dataDir, { recursive: true });

    let dbUrl = config.db.url;
    let poolSize = config.db.poolSize;
    if (!dbUrl) {
      const embedded = await startEmbeddedPg(config.dataDir);
      closers.push(embedded.stop);
      dbUrl = embedded.url;
      poolSize = 1; // PGlite is a single session (core/embedded_pg.ts)
      log.warn('DATABASE_URL is not set: using embedded PGlite under DATA_DIR (development only)');
    }
    const db = createPool(dbUrl, poolSize);
    closers.push(() => db.end());
    // Each process migrates the schemas of the parts it runs (DESIGN §3).
    const applied = await migrate(db, SCHEMAS_OF[config.services]);
    if (applied.length) log.info({ applied }, 'migrations applied');

    const purgeJobs: PurgeJob[] = [];
    const schedule = () => {
      // Each part deletes its own expired rows (DESIGN §3 data ownership); one instance at a time (an advisory lock).
      if (config.purge.intervalSeconds > 0) closers.push(schedulePurge({ db, everyMs: config.purge.intervalSeconds * 1000, log, jobs: purgeJobs }));
    };

    // The SAM: in this process (all, sam), or another process reached over mutual TLS (api).
    let sam: SignatureActivation;
    let audit: AuditTrail;
    let samChecks: ReadinessChecks;
    let outbox: OutboxReader | undefined;
    if (config.services === 'api') {
      const client = connectSam({ url: config.split!.samUrl!, tls: config.split!.tls });
      closers.push(async () => client.close());
      sam = meterSam(client, metrics);
      audit = client;
      samChecks = { sam: () => client.ready() };
    } else {
      // Dynamic: only a process that runs the SAM loads pkcs11js and the PKCS#11 library.
      const samDoor = await import('./sam/index.ts');
      const opened = await samDoor.createSam(configFor(config, 'sam'), { db, log, metrics });
      closers.push(opened.close);
      purgeJobs.push(opened.purge);
      ({ audit, outbox } = opened);
      sam = meterSam(opened.sam, metrics);
      samChecks = { hsm: opened.checks.hsm };
      if (config.services === 'sam') {
        const server = await samDoor.startSamServer({ sam, audit, checks: opened.checks, listen: config.split!.samListen, tls: config.split!.tls, log });
        closers.push(server.close);
        // Probes and metrics on plain HTTP (PORT): nothing of the SAM's port is reachable there.
        const ops = new Koa({ proxy: false });
        ops.silent = true;
        ops.use(opsRoutes({ checks: opened.checks, metrics, draining: () => draining, log }));
        const probes = await listenHttp(ops, config, log);
        closers.push(probes.close);
        schedule();
        log.info({ url: server.url, probes: `http://${config.host}:${probes.port}` }, 'SAM listening (mutual TLS)');
        return { url: server.url, port: server.port, log, close };
      }
    }

    const kv = config.kv.url ? await createRedisKv(config.kv.url, config.kv.prefix) : createMemoryKv();
    closers.push(() => kv.close());
    if (!config.kv.url) log.warn('REDIS_URL is not set: using an in-process store (development only)');
    // Throttling of auth/login, credentials/authorize, signHash, the OAuth endpoints and the activation pages
    // (core/policy.ts), on the shared Kv so that every instance counts.
    const limits = { limiter: new RateLimiter(kv, log), policy: ratePolicy(config.policy) };
    closers.push(() => limits.limiter.close()); // before the Kv (closers run in reverse): its last counts

    // The credential records need authz's users, and authz's signature page needs the records: users first.
    const users = openUsers(db);
    const credentials = createCredentials({ db, sam, users });
    const authz = await createAuthz(configFor(config, 'authz'), { db, kv, log, audit, sam, limits, users, credentials });
    const rssp = createRssp(configFor(config, 'rssp'), { db, log, sam, credentials, tokens: authz.tokens, auth: authz.auth, users, limits, audit });
    // Stopped after the listener (closers run in reverse): requests in flight may still enqueue jobs.
    closers.push(rssp.close);
    purgeJobs.push(authz.purge, rssp.purge);
    schedule();

    // The client's address (throttles, audit rows) is the peer's, or with TRUST_PROXY=n the n-th X-Forwarded-For entry
    // from the right: entries further left are whatever the client wrote.
    const app = new Koa({ proxy: config.trustProxy > 0, maxIpsCount: config.trustProxy });
    app.silent = true; // errors are logged by the error handlers of each part, with the request id
    const checks: ReadinessChecks = {
      postgres: () => db.query('SELECT 1'),
      redis: () => kv.get('readyz'),
      ...samChecks,
    };
    app.use(opsRoutes({ checks, metrics, draining: () => draining, log }));
    if (config.publicUrl.startsWith('https://')) {
      // RFC 6797: browsers reaching the pages over https keep to https for a year (issue #14 finding 7).
      app.use(async (ctx, next) => {
        ctx.set('Strict-Transport-Security', 'max-age=31536000');
        await next();
      });
    }
    // The admin API sets passwords and PINs and enrols authenticators: on a listener of its own when ADMIN_LISTEN is
    // set (production requires it, on loopback), else beside the CSC API (development).
    const admin = createAdmin(configFor(config, 'admin'), { log, sam, users, credentials, clients: authz.clients, oauthKeys: authz.oauthKeys, audit, outbox });
    closers.push(admin.close);
    const adminApp = config.admin.listen ? new Koa({ proxy: false }) : app;
    adminApp.silent = true;
    for (const m of admin.middleware) adminApp.use(m);
    let adminUrl: string | undefined;
    if (config.admin.listen) {
      const listener = await listenHttp(adminApp, { ...config, ...config.admin.listen }, log);
      closers.push(listener.close);
      adminUrl = `http://${config.admin.listen.host.includes(':') ? `[${config.admin.listen.host}]` : config.admin.listen.host}:${listener.port}`;
      log.info({ url: adminUrl }, 'admin API listening');
    }
    for (const m of authz.middleware) app.use(m);
    for (const m of rssp.middleware) app.use(m);

    const server = await listenHttp(app, config, log);
    closers.push(server.close);
    const url = `http://127.0.0.1:${server.port}`;
    log.info({ url, publicUrl: config.publicUrl }, 'RSSP listening');
    return { url, port: server.port, adminUrl: adminUrl ?? url, adminToken: admin.token, log, close };
  } catch (err) {
    await close();
    throw err;
  }
}
