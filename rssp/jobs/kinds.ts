// The job kinds: what each asynchronous-capable method does once its request has been checked. One function per
// method, given the stored input and the SAD, returning the method's response body; the synchronous path calls the
// same function at once (rssp/http/steps/perform_or_enqueue.ts), so both modes sign the same way.
//
// A method gains operationMode "A" by one entry here: its name → its perform function.
import type { RsspDeps } from '../http/deps.ts';
import type { JobInput, JobRun } from './job.ts';
import { performSignHash } from './sign_hash_job.ts';

/** Performs one job. Throws what the method would throw (CscError, SamError); returns the response body. */
export type JobKind<Input extends JobInput = JobInput> = (run: JobRun<Input>, deps: RsspDeps) => Promise<Record<string, unknown>>;

export const JOB_KINDS = {
  'signatures/signHash': performSignHash,
} as const satisfies Record<string, JobKind<never>>;

export type JobKindName = keyof typeof JOB_KINDS;

/** The input type of a kind, for the step that builds it from the request. */
export type InputOf<K extends JobKindName> = Parameters<(typeof JOB_KINDS)[K]>[0]['input'];

export function jobKind(name: string): JobKind | undefined {
  return Object.hasOwn(JOB_KINDS, name) ? (JOB_KINDS[name as JobKindName] as unknown as JobKind) : undefined;
}
