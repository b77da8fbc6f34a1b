// An asynchronous signature request (CSC v2 §11.10 operationMode "A") as the jobs table holds it, and the shape of
// what performs one: a job kind. The kinds themselves are listed in kinds.ts.
import type { RequestContext } from '../../core/sam_port.ts';

/** Whose job it is: only this user through this client may poll it (CSC v2 §11.12). */
export type JobOwner = { userId: string; clientId: string };

/** A kind's input: plain JSON (bytes as base64), so that it can be stored and read back by any instance. */
export type JobInput = { readonly [key: string]: unknown };

/** Everything a kind is given to perform one job, synchronously (operationMode "S") or later by a worker. */
export type JobRun<Input extends JobInput = JobInput> = {
  input: Input;
  sad: string;
  owner: JobOwner;
  request: RequestContext;
};

/** How a job ended: the method's response body, or the CSC error it would have answered. */
export type JobResult =
  | { state: 'done'; body: Record<string, unknown> }
  | { state: 'failed'; error: { code: string; status: number; error: string; error_description: string } };

export type NewJob = {
  kind: string;
  owner: JobOwner;
  input: JobInput;
  sad: string;
  request: RequestContext;
  validityMs: number;
  responseUri?: string;
};

/** A job as a worker claimed it. */
export type ClaimedJob = JobRun & { id: string; kind: string; attempts: number; claim: string };

/** A finished job whose result is due at its response_uri. */
export type Delivery = { id: string; responseUri: string; attempts: number; result: JobResult };
