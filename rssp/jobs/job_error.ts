// How a job's failure is kept and answered: the CSC error the synchronous call would have given (CSC v2 §11.12
// "failed → the job's error"), mapped exactly as the one error handler maps it (rssp/http/error_handler.ts).
import { isDatabaseUnavailable } from '../../core/db.ts';
import { CSC_ERRORS, CscError, type CscErrorName } from '../../core/errors.ts';
import { SamError } from '../../core/sam_port.ts';
import { cscErrorFromSam } from '../http/sam_errors.ts';
import type { JobResult } from './job.ts';

export type JobFailure = Extract<JobResult, { state: 'failed' }>;

export function failure(err: CscError): JobFailure {
  return { state: 'failed', error: { code: err.code, status: err.status, error: err.error, error_description: err.description } };
}

/** Any error thrown while performing a job, as a CscError (an unexpected one: server_error, details not kept). */
export function asCscError(err: unknown): CscError {
  if (err instanceof CscError) return err;
  if (err instanceof SamError || (err instanceof Error && err.name === 'SamError' && typeof (err as SamError).code === 'string')) {
    return cscErrorFromSam(err as SamError);
  }
  if (isDatabaseUnavailable(err)) return new CscError('storeUnavailable', { cause: err });
  return new CscError('serverError', { cause: err });
}

/** 503s (the HSM, the SAM or the database away) are worth another attempt; a refusal is final. */
export const isTransient = (err: CscError) => err.status === 503;

/** A stored failure as the CscError to throw on a poll: the same code and wording. */
export function replay(f: JobFailure): CscError {
  const code = Object.hasOwn(CSC_ERRORS, f.error.code) ? (f.error.code as CscErrorName) : 'serverError';
  return new CscError(code, { description: f.error.error_description });
}
