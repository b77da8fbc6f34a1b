// The one place where a refusal becomes a response (STYLE §2, CSC v2 §10.1): a CscError is written as
// { error, error_description } with its status and headers; a SamError goes through the one table of
// sam_errors.ts; anything else is an unexpected condition, logged with the request id and answered with a bare
// 500 server_error, so that no internal detail (and no secret) reaches the client.
import { isDatabaseUnavailable } from '../../core/db.ts';
import { CscError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { SamError } from '../../core/sam_port.ts';
import { cscErrorFromSam } from './sam_errors.ts';
import type { CscContext } from './step.ts';

function isSamError(err: unknown): err is SamError {
  // instanceof for the in-process SAM; the shape for a SAM client that rebuilt the error from JSON.
  return err instanceof SamError || (err instanceof Error && err.name === 'SamError' && typeof (err as SamError).code === 'string');
}

/** Only what helps an operator; never the request body, which may carry factors or a SAD. */
function describe(err: unknown) {
  if (!(err instanceof Error)) return { type: typeof err };
  return { name: err.name, message: err.message, stack: err.stack, code: (err as { code?: unknown }).code };
}

export function toCscError(err: unknown, ctx: CscContext, log: Logger): CscError {
  const requestId = ctx.state.request?.requestId;
  if (err instanceof CscError) {
    if (err.status >= 500) log.warn({ requestId, error: err.code, cause: describe(err.cause) }, 'CSC request failed');
    return err;
  }
  if (isSamError(err)) {
    const mapped = cscErrorFromSam(err);
    if (mapped.status >= 500) log.error({ requestId, samError: err.code, detail: err.detail }, 'SAM failure');
    return mapped;
  }
  if (isDatabaseUnavailable(err)) {
    log.error({ requestId, err: describe(err) }, 'database unavailable');
    return new CscError('storeUnavailable', { cause: err });
  }
  log.error({ requestId, err: describe(err) }, 'unexpected error in CSC request');
  return new CscError('serverError', { cause: err });
}

export function writeError(ctx: CscContext, err: CscError): void {
  ctx.status = err.status;
  for (const [name, value] of Object.entries(err.headers)) ctx.set(name, value);
  // RFC 6750 §3: a 401 names the scheme the client should use; specific steps set their own challenge.
  if (err.status === 401 && !ctx.response.get('WWW-Authenticate')) ctx.set('WWW-Authenticate', `Bearer error="${err.error}"`);
  ctx.type = 'application/json; charset=utf-8';
  ctx.body = err.toJSON();
}

export function errorHandler(log: Logger) {
  return async (ctx: CscContext, next: () => Promise<void>): Promise<void> => {
    try {
      await next();
    } catch (err) {
      writeError(ctx, toCscError(err, ctx, log));
    }
  };
}
