// CSC v2 §11.10 operationMode, validity_period and response_uri, shared by the methods that may run asynchronously
// (signatures/signHash, signatures/signDoc §11.11). Read early, so that a bad value is refused before anything is
// signed or stored; the last step (perform_or_enqueue.ts) then either performs the request or stores it as a job.
import { CscError } from '../../../core/errors.ts';
import type { RsspConfig } from '../../../core/config.ts';
import { isIP } from 'node:net';
import { isPublicAddress } from '../../jobs/public_address.ts';
import type { Step } from '../step.ts';

/** Sets ctx.state.async for operationMode "A"; leaves it unset for "S" (or none), whose other two parameters the
 *  spec says to ignore, whatever they hold. */
export const readOperationMode: Step = (ctx, deps) => {
  const { operationMode, validity_period, response_uri } = ctx.state.body;
  if (operationMode === undefined || operationMode === 'S') return;
  if (operationMode !== 'A') throw new CscError('invalidOperationMode');
  ctx.state.async = { validityMs: validityPeriod(validity_period, deps.config), responseUri: responseUri(response_uri, deps.config) };
};

function validityPeriod(value: unknown, config: RsspConfig): number {
  if (value === undefined) return config.rssp.async.validityDefaultMs;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new CscError('invalidValidityPeriod');
  // §11.10: the service policy defines the bounds (ASYNC_VALIDITY_MAX_MS); nothing is kept for 0 ms or less.
  if (value < 1 || value > config.rssp.async.validityMaxMs) throw new CscError('validityPeriodOutOfBounds');
  return value;
}

/** An absolute http(s) URI without credentials or fragment; https only in production, where the result (signatures
 *  and the responseID that names them) must not cross the network in clear, and not to an address of the service's
 *  own network. */
function responseUri(value: unknown, config: RsspConfig): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 2048 || !URL.canParse(value)) throw new CscError('invalidResponseUri');
  const url = new URL(value);
  const schemes = config.env === 'production' ? ['https:'] : ['https:', 'http:'];
  if (!schemes.includes(url.protocol) || url.username || url.password || url.hash || !url.hostname) throw new CscError('invalidResponseUri');
  // In production the result goes to public addresses only: an address literal that is not one is refused now (a
  // name is checked where the delivery connects, rssp/jobs/public_address.ts).
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (config.rssp.async.callback.publicOnly && isIP(host) && !isPublicAddress(host)) throw new CscError('invalidResponseUri');
  return url.href;
}
