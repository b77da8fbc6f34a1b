// The job worker of one api instance (CSC v2 §11.10 operationMode "A"): two loops over the shared jobs table, one
// performing jobs with the job kind's function (the same one the synchronous path calls), one delivering results to
// their response_uri. Several instances run it at once; the store's claims see that each job is performed, and each
// delivery attempted, by one of them at a time (job_store.ts).
import type { RsspConfig } from '../../core/config.ts';
import type { Logger } from '../../core/log.ts';
import type { RsspDeps } from '../http/deps.ts';
import { callbackBody, nextDelay, postResult } from './deliver.ts';
import type { ClaimedJob, Delivery } from './job.ts';
import { asCscError, failure, isTransient } from './job_error.ts';
import type { JobStore } from './job_store.ts';
import { jobKind } from './kinds.ts';
import { startLoop } from './loop.ts';

export type JobWorker = { stop(): Promise<void> };

export function startJobWorker(opts: { store: JobStore; deps: RsspDeps; config: RsspConfig['rssp']['async']; log: Logger }): JobWorker {
  const { store, deps, config, log } = opts;

  const perform = async (job: ClaimedJob) => {
    const kind = jobKind(job.kind);
    try {
      if (!kind) throw new Error(`unknown job kind ${job.kind}`);
      const body = await kind(job, deps);
      if (!(await store.finish(job, { state: 'done', body }))) log.warn({ event: 'job', kind: job.kind }, 'job result dropped: its lease had passed to another instance');
    } catch (err) {
      const cscErr = asCscError(err);
      if (cscErr.status >= 500) log.warn({ event: 'job', kind: job.kind, attempt: job.attempts, error: cscErr.code, cause: (err as Error)?.message }, 'job failed');
      if (isTransient(cscErr) && job.attempts < config.maxAttempts) await store.retryLater(job, nextDelay(job.attempts, 1000));
      else await store.finish(job, failure(cscErr));
    }
  };

  const deliver = async (d: Delivery) => {
    const ok = await postResult(d.responseUri, callbackBody(d.id, d.result), config.callback.timeoutMs, config.callback.publicOnly);
    if (ok) return store.deliveryOutcome(d.id, { state: 'delivered' });
    if (d.attempts >= config.callback.maxAttempts) {
      log.warn({ event: 'job-callback', attempts: d.attempts }, 'result not delivered to its response_uri: giving up (it can still be polled)');
      return store.deliveryOutcome(d.id, { state: 'abandoned' });
    }
    return store.deliveryOutcome(d.id, { state: 'retry', retryInMs: nextDelay(d.attempts, config.callback.backoffMs) });
  };

  const deliveries = startLoop({
    name: 'job-callback',
    everyMs: Math.max(config.pollIntervalMs, 100),
    log,
    round: async () => {
      const due = await store.claimDeliveries({ limit: config.concurrency, leaseMs: config.callback.timeoutMs * 2 + 1000 });
      await Promise.all(due.map(deliver));
      return due.length === config.concurrency;
    },
  });
  const jobs = startLoop({
    name: 'job',
    everyMs: config.pollIntervalMs,
    log,
    round: async () => {
      const claimed = await store.claim({ limit: config.concurrency, leaseSeconds: config.leaseSeconds, maxAttempts: config.maxAttempts });
      await Promise.all(claimed.map(perform));
      if (claimed.length) deliveries.wake();
      return claimed.length === config.concurrency;
    },
  });
  // A job enqueued by this instance starts at once; another instance's within pollIntervalMs.
  store.onEnqueue = () => jobs.wake();
  return {
    async stop() {
      store.onEnqueue = undefined;
      await jobs.stop();
      await deliveries.stop();
    },
  };
}
