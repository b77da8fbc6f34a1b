// The last step of a method that may run asynchronously (CSC v2 §11.10 operationMode): in mode "S" the job kind's
// function runs now and its body is the answer; in mode "A" the same input is stored as a job (rssp/jobs/) and the
// answer is its responseID, which signatures/signPolling (§11.12) later trades for that same body.
//
// §11.10's Output and all three of its sample responses answer operationMode "A" with "200 OK" and
// {"responseID"}; 202 is what §11.12 gives a poll while the job is still pending. So: 200 here.
import { JOB_KINDS, type InputOf, type JobKindName } from '../../jobs/kinds.ts';
import type { JobRun } from '../../jobs/job.ts';
import { required, type CscContext, type Step } from '../step.ts';

export function performOrEnqueue<K extends JobKindName>(kind: K, inputOf: (ctx: CscContext) => InputOf<K>): Step {
  return async (ctx, deps) => {
    const grant = required(ctx.state.grant, 'grant');
    const run: JobRun<InputOf<K>> = {
      input: inputOf(ctx),
      sad: required(ctx.state.sad, 'sad'),
      owner: { userId: grant.userId, clientId: grant.clientId },
      request: ctx.state.request,
    };
    let body: Record<string, unknown>;
    const mode = ctx.state.async;
    if (mode) {
      body = { responseID: await deps.jobs.enqueue({ kind, ...run, validityMs: mode.validityMs, responseUri: mode.responseUri }) };
    } else {
      body = await (JOB_KINDS[kind] as (r: JobRun<InputOf<K>>, d: typeof deps) => Promise<Record<string, unknown>>)(run, deps);
    }
    ctx.status = 200;
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = body;
  };
}
