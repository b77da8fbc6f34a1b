// The jobs table (rssp/migrations/003_jobs.sql). Every state change is one conditional statement, so that any
// number of instances share the table without a job being taken, finished or handed out twice:
// - claim: FOR UPDATE SKIP LOCKED over pending jobs and running ones whose lease passed (a crashed instance's);
// - finish: only by the claim that took the job (a slow instance overtaken after its lease changes nothing);
// - take a result: DELETE … RETURNING, so one poll gets it and the next finds nothing (CSC v2 §11.12).
// The one case that performs a job twice: an instance dying (SIGKILL, power) after the SAM signed and before
// finish() committed. The next claim runs it again; the SAM refuses a spent SAD (the job then fails with that
// refusal) or, while the SAD still allows more signatures, signs again, and its audit trail shows both. Closing that
// window would take an idempotency key in the SAM port. A graceful stop (SIGTERM) finishes the jobs in flight.
import { randomBytes } from 'node:crypto';
import type { Db, DbClient } from '../../core/db.ts';
import { deleteInBatches } from '../../core/purge.ts';
import { CscError } from '../../core/errors.ts';
import { failure } from './job_error.ts';
import type { ClaimedJob, Delivery, JobOwner, JobResult, NewJob } from './job.ts';

type Queryable = Db | DbClient;

/** What a poll finds: nothing (unknown, another's, expired or already taken), a pending job, or its result. */
export type Poll = { state: 'none' } | { state: 'pending' } | JobResult;

const resultOf = (state: string, result: unknown): JobResult =>
  state === 'done'
    ? { state: 'done', body: result as Record<string, unknown> }
    : { state: 'failed', error: result as Extract<JobResult, { state: 'failed' }>['error'] };

const resultJson = (r: JobResult) => JSON.stringify(r.state === 'done' ? r.body : r.error);

export class JobStore {
  /** Called after each enqueue: the worker of this instance wakes (worker.ts). */
  onEnqueue?: () => void;

  /** `queue`: the ASYNC_QUEUE this instance serves; jobs of another queue are neither taken nor handed out. */
  constructor(
    private readonly db: Db,
    private readonly queue: string,
  ) {}

  /** Stores a pending job; returns its responseID. */
  async enqueue(job: NewJob): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.db.query(
      `INSERT INTO rssp.jobs (id, queue, user_id, client_id, kind, input, sad, request, expires_at, response_uri)
       VALUES ($1, $10, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8::double precision / 1000), $9)`,
      [id, job.owner.userId, job.owner.clientId, job.kind, JSON.stringify(job.input), job.sad, JSON.stringify(job.request), job.validityMs, job.responseUri ?? null, this.queue],
    );
    this.onEnqueue?.();
    return id;
  }

  /**
   * Takes up to `limit` jobs for this instance: pending ones, and running ones whose lease passed. A job tried
   * `maxAttempts` times already (an instance crashing on it each time) fails instead of being taken again.
   */
  async claim(opts: { limit: number; leaseSeconds: number; maxAttempts: number }): Promise<ClaimedJob[]> {
    await this.db.query(
      `UPDATE rssp.jobs SET state = 'failed', result = $2, sad = NULL, input = '{}', claim = NULL, lease_until = NULL, finished_at = now(),
         delivery_state = CASE WHEN response_uri IS NULL THEN NULL ELSE 'pending' END, delivery_next_at = now()
       WHERE queue = $3 AND state = 'running' AND lease_until < now() AND attempts >= $1 AND expires_at > now()`,
      [opts.maxAttempts, JSON.stringify(GAVE_UP), this.queue],
    );
    const claim = randomBytes(16).toString('base64url');
    const { rows } = await this.db.query<{
      id: string; kind: string; input: ClaimedJob['input']; sad: string; user_id: string; client_id: string; request: ClaimedJob['request']; attempts: number;
    }>(
      `UPDATE rssp.jobs SET state = 'running', attempts = attempts + 1, claim = $1, lease_until = now() + make_interval(secs => $3)
       WHERE id IN (
         SELECT id FROM rssp.jobs
         WHERE queue = $4 AND (state = 'pending' OR (state = 'running' AND lease_until < now())) AND expires_at > now()
         ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, kind, input, sad, user_id, client_id, request, attempts`,
      [claim, opts.limit, opts.leaseSeconds, this.queue],
    );
    return rows.map((r) => ({
      id: r.id, kind: r.kind, input: r.input, sad: r.sad, owner: { userId: r.user_id, clientId: r.client_id }, request: r.request, attempts: r.attempts, claim,
    }));
  }

  /** Records how the job ended and forgets its SAD and input; false when the claim is no longer the job's. */
  async finish(job: Pick<ClaimedJob, 'id' | 'claim'>, result: JobResult): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE rssp.jobs SET state = $3, result = $4, sad = NULL, input = '{}', claim = NULL, lease_until = NULL, finished_at = now(),
         delivery_state = CASE WHEN response_uri IS NULL THEN NULL ELSE 'pending' END, delivery_next_at = now()
       WHERE id = $1 AND claim = $2 AND state = 'running'`,
      [job.id, job.claim, result.state, resultJson(result)],
    );
    return rowCount === 1;
  }

  /** A transient failure (SAM or database away): the job stays this claim's until `retryInMs`, then is taken again. */
  async retryLater(job: Pick<ClaimedJob, 'id' | 'claim'>, retryInMs: number): Promise<void> {
    await this.db.query(
      `UPDATE rssp.jobs SET lease_until = now() + make_interval(secs => $3::double precision / 1000) WHERE id = $1 AND claim = $2 AND state = 'running'`,
      [job.id, job.claim, retryInMs],
    );
  }

  /**
   * CSC v2 §11.12: the result of `id` for its owner, handed out once (the row is deleted as it is read), or
   * whether it is still pending. Another owner's job, an expired one and an unknown id are all 'none'.
   */
  async take(id: string, owner: JobOwner): Promise<Poll> {
    const taken = await this.takeFinished(id, owner);
    if (taken) return taken;
    const { rows } = await this.db.query<{ state: string }>(
      `SELECT state FROM rssp.jobs WHERE id = $1 AND user_id = $2 AND client_id = $3 AND queue = $4 AND expires_at > now()`,
      [id, owner.userId, owner.clientId, this.queue],
    );
    const state = rows[0]?.state;
    if (state === 'pending' || state === 'running') return { state: 'pending' };
    // Finished between the two queries (a worker completed it meanwhile): take it now, unless a concurrent poll did.
    if (state === 'done' || state === 'failed') return (await this.takeFinished(id, owner)) ?? { state: 'none' };
    return { state: 'none' };
  }

  private async takeFinished(id: string, owner: JobOwner): Promise<Poll | undefined> {
    const { rows } = await this.db.query<{ state: string; result: unknown }>(
      `DELETE FROM rssp.jobs WHERE id = $1 AND user_id = $2 AND client_id = $3 AND queue = $4 AND expires_at > now() AND state IN ('done', 'failed')
       RETURNING state, result`,
      [id, owner.userId, owner.clientId, this.queue],
    );
    return rows[0] ? resultOf(rows[0].state, rows[0].result) : undefined;
  }

  /** Results due at their response_uri, each leased to this instance for `leaseMs` (longer than one attempt). */
  async claimDeliveries(opts: { limit: number; leaseMs: number }): Promise<Delivery[]> {
    const { rows } = await this.db.query<{ id: string; response_uri: string; delivery_attempts: number; state: string; result: unknown }>(
      `UPDATE rssp.jobs SET delivery_attempts = delivery_attempts + 1, delivery_lease_until = now() + make_interval(secs => $2::double precision / 1000)
       WHERE id IN (
         SELECT id FROM rssp.jobs
         WHERE queue = $3 AND delivery_state = 'pending' AND delivery_next_at <= now()
           AND (delivery_lease_until IS NULL OR delivery_lease_until < now()) AND expires_at > now()
         ORDER BY delivery_next_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, response_uri, delivery_attempts, state, result`,
      [opts.limit, opts.leaseMs, this.queue],
    );
    return rows.map((r) => ({ id: r.id, responseUri: r.response_uri, attempts: r.delivery_attempts, result: resultOf(r.state, r.result) }));
  }

  /** A delivery's outcome: delivered, abandoned (no attempt left), or the next attempt in `retryInMs`. */
  async deliveryOutcome(id: string, outcome: { state: 'delivered' | 'abandoned' } | { state: 'retry'; retryInMs: number }): Promise<void> {
    if (outcome.state === 'retry') {
      await this.db.query(
        `UPDATE rssp.jobs SET delivery_next_at = now() + make_interval(secs => $2::double precision / 1000), delivery_lease_until = NULL
         WHERE id = $1 AND delivery_state = 'pending'`,
        [id, outcome.retryInMs],
      );
    } else {
      await this.db.query(`UPDATE rssp.jobs SET delivery_state = $2, delivery_lease_until = NULL WHERE id = $1 AND delivery_state = 'pending'`, [id, outcome.state]);
    }
  }
}

/** The result of a job no instance managed to perform in its attempts. */
const GAVE_UP = failure(new CscError('serverError')).error;

/** Purge (core/purge.ts): jobs past their validity_period, polled or not, with their results and SADs. */
export async function purgeJobs(db: Queryable, now: Date): Promise<Record<string, number>> {
  return { 'rssp.jobs': await deleteInBatches(db, 'rssp.jobs', 'expires_at < $1', [now]) };
}
