// The rssp front door for the composition root (service.ts): given only its own configuration (core/config.ts
// RsspConfig: the rssp section, the public URL and the environment; never the SAM's PIN), builds the CSC API — the
// credential records and their use cases, the store of asynchronous jobs (operationMode "A", CSC v2 §11.10), the
// routes of CSC v2, v2.2 and v1.0.4.0 on the same deps, and the job worker — and says what the purge of its jobs
// is. It reaches the SAM through its port only: in this process, or over mutual TLS through connectSam (split mode).
import type Koa from 'koa';
import type { AuditTrail } from '../core/audit_port.ts';
import type { RsspConfig } from '../core/config.ts';
import type { Db } from '../core/db.ts';
import type { Logger } from '../core/log.ts';
import type { Limits } from '../core/policy.ts';
import type { ServiceAuth, TokenVerifier, UserDirectory } from '../core/ports.ts';
import type { PurgeJob } from '../core/purge.ts';
import type { SignatureActivation } from '../core/sam_port.ts';
import { PgCredentialRepo } from './adapters/credential_repo.ts';
import { PgDpopProofLedger, purgeDpopProofs } from './adapters/dpop_proof_ledger.ts';
import { CredentialService } from './app/credential_service.ts';
import type { RsspDeps } from './http/deps.ts';
import { caRoutes } from './http/ca_routes.ts';
import { cscV2Routes } from './http/router.ts';
import { cscV1Routes } from './http/v1/router.ts';
import { cscV22Routes } from './http/v22/router.ts';
import { JobStore, purgeJobs } from './jobs/job_store.ts';
import { startJobWorker } from './jobs/worker.ts';

/** The api tier's client of a SAM in another process (SERVICES=api): the same port, and the SAM's audit trail. */
export { createSamClient as connectSam } from './adapters/sam_client.ts';

export type Rssp = {
  /** The credential records and their use cases (also the admin API's, and the OAuth signature page's look-up). */
  credentials: CredentialService;
  /** In order: the development CA's CRL at /ca/crl, CSC v2 under /csc/v2/, v2.2 under /csc/v2.2/, v1.0.4.0 under
   *  /csc/v1/. */
  middleware: Koa.Middleware[];
  /** Asynchronous jobs go when their validity_period ends (CSC v2 §11.10), results polled or not; DPoP proof jtis
   *  once their window has passed. */
  purge: PurgeJob;
  /** Stops the job worker (a job claimed and not finished is taken again by any instance once its lease passes). */
  close(): Promise<void>;
};

/**
 * The credential records exist before the routes: authz's signature page looks them up, and the routes need authz's
 * tokens. So service.ts makes them first (on authz's user directory) and createRssp takes them.
 */
export function createCredentials(deps: { db: Db; sam: SignatureActivation; users: UserDirectory }): CredentialService {
  return new CredentialService({ repo: new PgCredentialRepo(deps.db), sam: deps.sam, users: deps.users });
}

export function createRssp(
  config: RsspConfig,
  deps: {
    db: Db;
    log: Logger;
    sam: SignatureActivation;
    credentials: CredentialService;
    /** Bearer tokens of auth/login and of the OAuth server (authz). */
    tokens: TokenVerifier;
    auth: ServiceAuth;
    users: UserDirectory;
    /** Throttling of auth/login, credentials/authorize and signHash (core/policy.ts). */
    limits: Limits;
    /** For the evidence of signatures (ext/signatureEvidence). */
    audit: Pick<AuditTrail, 'evidence'>;
  },
): Rssp {
  const jobs = new JobStore(deps.db, config.rssp.async.queue);
  const { log, sam, credentials, tokens, auth, users, limits, audit } = deps;
  // The jti of every DPoP proof, once (RFC 9449 §11.1), in PostgreSQL: a Redis failover must not allow a replay.
  const rsspDeps: RsspDeps = { config, log, sam, tokens, auth, users, credentials, limits, audit, jobs, dpopProofs: new PgDpopProofLedger(deps.db) };
  // Every api instance performs asynchronous jobs from the shared table (rssp/jobs/); 0 stores and answers polls only.
  const worker = config.rssp.async.concurrency > 0 ? startJobWorker({ store: jobs, deps: rsspDeps, config: config.rssp.async, log: deps.log }) : undefined;
  return {
    credentials: deps.credentials,
    // v2.2 beside v2, chosen by the base path (rssp/http/v22/router.ts); v1 for signature applications not yet on v2.
    // The CRL is for relying parties: CRL_URL names it in every certificate the development CA issues.
    middleware: [caRoutes({ sam, log }), cscV2Routes(rsspDeps), cscV22Routes(rsspDeps), cscV1Routes(rsspDeps)],
    purge: async (q, now) => ({ ...(await purgeJobs(q, now)), ...(await purgeDpopProofs(q, now)) }),
    close: async () => worker?.stop(),
  };
}
