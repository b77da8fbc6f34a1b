// Composition root: builds the parts that SERVICES names from one Config (DESIGN §4). `all` serves everything on one
// Koa server; `sam` serves only the SAM, over mutual TLS (sam/http/server.ts); `api` serves rssp, authz and the admin
// API and reaches that SAM through a client of the same port (rssp/adapters/sam_client.ts). Embedded defaults
// (DESIGN §3) are decided here and nowhere else: PGlite when DATABASE_URL is unset, an in-process KV when REDIS_URL
// is unset, a SoftHSM token under DATA_DIR when PKCS11_MODULE is unset.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import { adminRoutes } from './admin/http.ts';
import { RuntimeSampler, runtimeMetricsRoute } from './admin/runtime_metrics.ts';
import { CompositeTokenVerifier, createAuthz, createOAuthServer, credentialCatalog } from './authz/index.ts';
import { auditOAuthEvents } from './authz/oauth_audit.ts';
import { activationPages } from './authz/pages/activation.ts';
import { oauthRateLimit } from './authz/oauth_rate_limit.ts';
import type { Config } from './core/config.ts';
import { createPool, migrate, SCHEMAS } from './core/db.ts';
import { startEmbeddedPg } from './core/embedded_pg.ts';
import { createMemoryKv, createRedisKv } from './core/kv.ts';
import { RateLimiter, ratePolicy } from './core/policy.ts';
import { schedulePurge, type PurgeJob } from './core/purge.ts';
import { purgeAuthz } from './authz/purge.ts';
import { createLogger, type Logger } from './core/log.ts';
import { createMetrics, meterSam } from './core/metrics.ts';
import { opsRoutes, type ReadinessChecks } from './admin/ops_routes.ts';
import { PgCredentialRepo } from './rssp/adapters/credential_repo.ts';
import { CredentialService } from './rssp/app/credential_service.ts';
import { approvalPages } from './authz/pages/approval.ts';
import { caRoutes } from './rssp/http/ca_routes.ts';
import { cscV2Routes } from './rssp/http/router.ts';
import { cscV1Routes } from './rssp/http/v1/router.ts';
import { cscV22Routes } from './rssp/http/v22/router.ts';
import { JobStore, purgeJobs as purgeAsyncJobs } from './rssp/jobs/job_store.ts';
import { PgDpopProofLedger, purgeDpopProofs } from './rssp/adapters/dpop_proof_ledger.ts';
import { startJobWorker } from './rssp/jobs/worker.ts';
import { startSamServer } from './sam/http/server.ts';
import { createSamClient } from './rssp/adapters/sam_client.ts';
import type { OutboxMessage } from './core/ports.ts';
import type { AuditTrail } from './core/audit_port.ts';
import type { SignatureActivation } from './core/sam_port.ts';

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

/** A secret given in the configuration, or (development only) one generated once and kept under DATA_DIR. */
function devSecret(dataDir: string, file: string): string {
  const p = path.join(dataDir, file);
  if (existsSync(p)) return readFileSync(p, 'utf8').trim();
  const value = randomBytes(32).toString('base64url');
  writeFileSync(p, value + '\n', { mode: 0o600 });
  chmodSync(p, 0o600);
  return value;
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
    const expiredBefore = (now: Date) => new Date(now.getTime() - config.purge.afterSeconds * 1000);
    const schedule = () => {
      // Each part deletes its own expired rows (DESIGN §3 data ownership); one instance at a time (an advisory lock).
      if (config.purge.intervalSeconds > 0) closers.push(schedulePurge({ db, everyMs: config.purge.intervalSeconds * 1000, log, jobs: purgeJobs }));
    };

    // The SAM: in this process (all, sam), or another process reached over mutual TLS (api).
    let sam: SignatureActivation;
    let audit: AuditTrail;
    let samChecks: ReadinessChecks;
    let outbox: ((filter: { username?: string }) => Promise<OutboxMessage[]>) | undefined;
    if (config.services === 'api') {
      const client = createSamClient({ url: config.split!.samUrl!, tls: config.split!.tls });
      closers.push(async () => client.close());
      sam = meterSam(client, metrics);
      audit = client;
      samChecks = { sam: () => client.ready() };
    } else {
      // Dynamic: only a process that runs the SAM loads pkcs11js and the PKCS#11 library.
      const { openSam } = await import('./sam/open.ts');
      const opened = await openSam(config, { db, log, metrics });
      closers.push(opened.close);
      purgeJobs.push(opened.purge);
      ({ audit, outbox } = opened);
      sam = meterSam(opened.sam, metrics);
      samChecks = { hsm: opened.checks.hsm };
      if (config.services === 'sam') {
        const server = await startSamServer({ sam, audit, checks: opened.checks, listen: config.split!.samListen, tls: config.split!.tls, log });
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

    const authz = await createAuthz({ db, kv, config, log, audit });
    const credentials = new CredentialService({ repo: new PgCredentialRepo(db), sam, users: authz.users });
    // The OAuth 2.0 authorization server (CSC v2 §8.4); bearer tokens of the CSC API come from it or auth/login.
    // It opens its keys through the SAM port at start (sealed in authz.oauth_keys, issue #14 finding 7): the SAM, in
    // this process or its client, exists by now.
    const oauth = await createOAuthServer({
      db, kv, config, log, users: authz.users, limiter: authz.limiter, sam, credentials: credentialCatalog(credentials), audit,
    });
    const tokens = new CompositeTokenVerifier([authz.tokens, oauth.tokens]);
    purgeJobs.push((q, now) => purgeAuthz(q, expiredBefore(now)));
    // Asynchronous jobs go when their validity_period ends (CSC v2 §11.10), results polled or not.
    purgeJobs.push(purgeAsyncJobs);
    purgeJobs.push(purgeDpopProofs);
    schedule();
    auditOAuthEvents(oauth.provider, audit, log);

    const adminToken = config.admin.token ?? devSecret(config.dataDir, 'admin-token');

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
    const adminApp = config.admin.listen ? new Koa({ proxy: false }) : app;
    adminApp.silent = true;
    if (config.runtimeMetrics) {
      const sampler = new RuntimeSampler();
      closers.push(async () => sampler.stop());
      adminApp.use(runtimeMetricsRoute({ adminToken, sampler }));
    }
    adminApp.use(adminRoutes({ adminToken, log, sam, users: authz.users, credentials, clients: oauth.clients, oauthKeys: oauth.keys, audit,
      // The outbox holds live one-time passwords and approval links: never served in production.
      outbox: config.env === 'production' ? undefined : outbox,
      // In production the operator never sets a PIN or receives a TOTP seed: activation links do (issue #14 finding 1).
      production: config.env === 'production',
      publicUrl: config.publicUrl,
    }));
    let adminUrl: string | undefined;
    if (config.admin.listen) {
      const listener = await listenHttp(adminApp, { ...config, ...config.admin.listen }, log);
      closers.push(listener.close);
      adminUrl = `http://${config.admin.listen.host.includes(':') ? `[${config.admin.listen.host}]` : config.admin.listen.host}:${listener.port}`;
      log.info({ url: adminUrl }, 'admin API listening');
    }
    // Throttling of auth/login, credentials/authorize and the OAuth endpoints (core/policy.ts), on the shared Kv so
    // that every instance counts.
    const limits = { limiter: new RateLimiter(kv, log), policy: ratePolicy(config.policy) };
    app.use(oauthRateLimit(limits));
    app.use(oauth.middleware);
    const jobs = new JobStore(db, config.async.queue);
    const rsspDeps = { config, log, sam, tokens, auth: oauth.withRevocation(authz.auth), users: authz.users, credentials, limits, audit, jobs,
      dpopProofs: new PgDpopProofLedger(db) };
    // Approval pages of asynchronous authorization (CSC v2 §11.7), reached by the link sent to the person.
    app.use(approvalPages({ sam, log, publicUrl: config.publicUrl }));
    // Self-service activation links (issue #14 finding 1): the person chooses their PIN and enrols their authenticator.
    app.use(activationPages({ sam, log, publicUrl: config.publicUrl, limiter: limits.limiter }));
    // The development CA's CRL, for relying parties (CRL_URL names it in every certificate).
    app.use(caRoutes({ sam, log }));
    app.use(cscV2Routes(rsspDeps));
    // CSC v2.2 beside it, chosen by the base path (rssp/http/v22/router.ts): credentials/create and delete, v2.2 info.
    app.use(cscV22Routes(rsspDeps));
    // CSC v1.0.4.0 compatibility for signature applications not yet on v2: the same deps (tokens, SAM, use cases).
    app.use(cscV1Routes(rsspDeps));

    // Every api instance performs asynchronous jobs (operationMode "A") from the shared table (rssp/jobs/). Stopped
    // after the listener (closers run in reverse): requests in flight may still enqueue; a job claimed and not
    // finished when the process dies is taken again by any instance once its lease passes.
    if (config.async.concurrency > 0) {
      const worker = startJobWorker({ store: jobs, deps: rsspDeps, config: config.async, log });
      closers.push(worker.stop);
    }

    const server = await listenHttp(app, config, log);
    closers.push(server.close);
    const url = `http://127.0.0.1:${server.port}`;
    log.info({ url, publicUrl: config.publicUrl }, 'RSSP listening');
    return { url, port: server.port, adminUrl: adminUrl ?? url, adminToken, log, close };
  } catch (err) {
    await close();
    throw err;
  }
}
