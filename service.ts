// Composition root: builds every part from one Config and serves them on one Koa server (DESIGN §4, one-process
// mode). Embedded defaults (DESIGN §3) are decided here and nowhere else: PGlite when DATABASE_URL is unset, an
// in-process KV when REDIS_URL is unset, a SoftHSM token under DATA_DIR when PKCS11_MODULE is unset.
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
import { createPool, migrate } from './core/db.ts';
import { startEmbeddedPg } from './core/embedded_pg.ts';
import { createMemoryKv, createRedisKv } from './core/kv.ts';
import { RateLimiter, ratePolicy } from './core/policy.ts';
import { schedulePurge } from './core/purge.ts';
import { purgeAuthz } from './authz/purge.ts';
import { purgeSam } from './sam/ledger/purge.ts';
import { createLogger, type Logger } from './core/log.ts';
import { PgCredentialRepo } from './rssp/adapters/credential_repo.ts';
import { CredentialService } from './rssp/app/credential_service.ts';
import { approvalPages } from './rssp/approval/approval_page.ts';
import { cscV2Routes } from './rssp/http/router.ts';
import { cscV1Routes } from './rssp/http/v1/router.ts';
import { createAuditTrail } from './sam/audit/trail.ts';
import { createSam } from './sam/index.ts';
import { createNotifier } from './sam/notify/create_notifier.ts';
import { outboxDir, readOutbox } from './sam/notify/outbox_notifier.ts';
import { openPkcs11Hsm } from './sam/hsm/pkcs11/index.ts';
import { ensureDevToken } from './softhsm-config/dev_token.ts';

export type RunningService = {
  url: string;
  port: number;
  adminToken: string;
  log: Logger;
  close(): Promise<void>;
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
    const applied = await migrate(db);
    if (applied.length) log.info({ applied }, 'migrations applied');

    const kv = config.kv.url ? await createRedisKv(config.kv.url, config.kv.prefix) : createMemoryKv();
    closers.push(() => kv.close());
    if (!config.kv.url) log.warn('REDIS_URL is not set: using an in-process store (development only)');

    let { module, pin } = config.sam;
    if (!module) {
      const token = await ensureDevToken({ dataDir: config.dataDir, label: config.sam.tokenLabel });
      module = token.module;
      pin ??= token.pin;
      log.warn({ module }, 'PKCS11_MODULE is not set: using a SoftHSM2 token under DATA_DIR (development only)');
    }
    if (!pin) throw new Error('SAM_PIN or SAM_PIN_FILE is required with PKCS11_MODULE');
    const hsm = await openPkcs11Hsm({ module, tokenLabel: config.sam.tokenLabel, pin, sessions: config.sam.sessions, log });
    closers.push(() => hsm.close());

    // Out-of-band one-time passwords (CSC v2 §11.8): SMTP, SMS gateway, or the development outbox.
    const sam = await createSam({ db, hsm, config: config.sam, log, notifier: createNotifier(config, log) });
    const audit = await createAuditTrail({ db, hsm, log, config: config.audit });
    closers.push(() => audit.close());
    const authz = await createAuthz({ db, kv, config, log, audit });
    const credentials = new CredentialService({ repo: new PgCredentialRepo(db), sam, users: authz.users });
    // The OAuth 2.0 authorization server (CSC v2 §8.4); bearer tokens of the CSC API come from it or auth/login.
    const oauth = await createOAuthServer({
      db, kv, config, log, users: authz.users, limiter: authz.limiter, sam, credentials: credentialCatalog(credentials), audit,
    });
    const tokens = new CompositeTokenVerifier([authz.tokens, oauth.tokens]);
    if (config.purge.intervalSeconds > 0) {
      // Each part deletes its own expired rows (DESIGN §3 data ownership); one instance at a time (an advisory lock).
      const expiredBefore = (now: Date) => new Date(now.getTime() - config.purge.afterSeconds * 1000);
      const challengeWindowMs = (config.sam.otpChallenge?.windowSeconds ?? 0) * 1000;
      closers.push(
        schedulePurge({
          db,
          everyMs: config.purge.intervalSeconds * 1000,
          log,
          jobs: [
            (q, now) => purgeAuthz(q, expiredBefore(now)),
            (q, now) => purgeSam(q, { expiredBefore: expiredBefore(now), challengesBefore: new Date(Math.min(expiredBefore(now).getTime(), now.getTime() - challengeWindowMs)) }),
          ],
        }),
      );
    }
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
      outbox: (filter) => readOutbox(outboxDir(config.dataDir), filter),
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
