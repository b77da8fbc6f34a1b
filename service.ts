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
import { oauthRateLimit } from './authz/oauth_rate_limit.ts';
import type { Config } from './core/config.ts';
import { createPool, migrate, SCHEMAS } from './core/db.ts';
import { startEmbeddedPg } from './core/embedded_pg.ts';
import { createMemoryKv, createRedisKv } from './core/kv.ts';
import { RateLimiter, ratePolicy } from './core/policy.ts';
import { schedulePurge, type PurgeJob } from './core/purge.ts';
import { purgeAuthz } from './authz/purge.ts';
import { createLogger, type Logger } from './core/log.ts';
import { PgCredentialRepo } from './rssp/adapters/credential_repo.ts';
import { CredentialService } from './rssp/app/credential_service.ts';
import { approvalPages } from './rssp/approval/approval_page.ts';
import { cscV2Routes } from './rssp/http/router.ts';
import { cscV1Routes } from './rssp/http/v1/router.ts';
import { startSamServer } from './sam/http/server.ts';
import { createSamClient } from './rssp/adapters/sam_client.ts';
import type { OutboxMessage } from './admin/outbox_handlers.ts';
import type { AuditTrail } from './core/audit_port.ts';
import type { SignatureActivation } from './core/sam_port.ts';

export type RunningService = {
  url: string;
  port: number;
  /** Absent when this process runs the SAM alone: it serves no admin API. */
  adminToken?: string;
  log: Logger;
  close(): Promise<void>;
};

/** The schemas each role migrates: the SAM's own, or everything else (DESIGN §3 data ownership). */
const SCHEMAS_OF: Record<Config['services'], readonly string[]> = {
  all: SCHEMAS,
  sam: ['sam'],
  api: SCHEMAS.filter((s) => s !== 'sam'),
};

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
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch((err) => log.warn({ err }, 'error while closing'));
  };
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
    let outbox: ((filter: { username?: string }) => Promise<OutboxMessage[]>) | undefined;
    if (config.services === 'api') {
      const client = createSamClient({ url: config.split!.samUrl!, tls: config.split!.tls });
      closers.push(async () => client.close());
      sam = client;
      audit = client;
    } else {
      // Dynamic: only a process that runs the SAM loads pkcs11js and the PKCS#11 library.
      const { openSam } = await import('./sam/open.ts');
      const opened = await openSam(config, { db, log });
      closers.push(opened.close);
      purgeJobs.push(opened.purge);
      ({ sam, audit, outbox } = opened);
      if (config.services === 'sam') {
        const server = await startSamServer({ sam, audit, ready: opened.ready, listen: config.split!.samListen, tls: config.split!.tls, log });
        closers.push(server.close);
        schedule();
        log.info({ url: server.url }, 'SAM listening (mutual TLS)');
        return { url: server.url, port: server.port, log, close };
      }
    }

    const kv = config.kv.url ? await createRedisKv(config.kv.url, config.kv.prefix) : createMemoryKv();
    closers.push(() => kv.close());
    if (!config.kv.url) log.warn('REDIS_URL is not set: using an in-process store (development only)');

    const authz = await createAuthz({ db, kv, config, log, audit });
    const credentials = new CredentialService({ repo: new PgCredentialRepo(db), sam, users: authz.users });
    // The OAuth 2.0 authorization server (CSC v2 §8.4); bearer tokens of the CSC API come from it or auth/login.
    const oauth = await createOAuthServer({
      db, kv, config, log, users: authz.users, limiter: authz.limiter, sam, credentials: credentialCatalog(credentials), audit,
    });
    const tokens = new CompositeTokenVerifier([authz.tokens, oauth.tokens]);
    purgeJobs.push((q, now) => purgeAuthz(q, expiredBefore(now)));
    schedule();
    auditOAuthEvents(oauth.provider, audit, log);

    const adminToken = config.admin.token ?? devSecret(config.dataDir, 'admin-token');

    const app = new Koa({ proxy: false });
    app.silent = true; // errors are logged by the error handlers of each part, with the request id
    if (config.runtimeMetrics) {
      const sampler = new RuntimeSampler();
      closers.push(async () => sampler.stop());
      app.use(runtimeMetricsRoute({ adminToken, sampler }));
    }
    app.use(adminRoutes({ adminToken, log, sam, users: authz.users, credentials, clients: oauth.clients, oauthKeys: oauth.keys, audit,
      outbox,
    }));
    // Throttling of auth/login, credentials/authorize and the OAuth endpoints (core/policy.ts), on the shared Kv so
    // that every instance counts.
    const limits = { limiter: new RateLimiter(kv, log), policy: ratePolicy(config.policy) };
    app.use(oauthRateLimit(limits));
    app.use(oauth.middleware);
    const rsspDeps = { config, log, sam, tokens, auth: oauth.withRevocation(authz.auth), users: authz.users, credentials, limits, audit };
    // Approval pages of asynchronous authorization (CSC v2 §11.7), reached by the link sent to the person.
    app.use(approvalPages({ sam, log, publicUrl: config.publicUrl }));
    app.use(cscV2Routes(rsspDeps));
    // CSC v1.0.4.0 compatibility for signature applications not yet on v2: the same deps (tokens, SAM, use cases).
    app.use(cscV1Routes(rsspDeps));

    const server = http.createServer(app.callback());
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const port = (server.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}`;
    log.info({ url, publicUrl: config.publicUrl }, 'RSSP listening');
    return { url, port, adminToken, log, close };
  } catch (err) {
    await close();
    throw err;
  }
}
