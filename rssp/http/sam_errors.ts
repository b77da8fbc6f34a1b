// A SAM refusal as the CSC error the client gets: the csc column of the one table in core/sam_errors.ts.
import { CscError } from '../../core/errors.ts';
import { SAM_ERROR_TABLE } from '../../core/sam_errors.ts';
import type { SamError } from '../../core/sam_port.ts';


export function cscErrorFromSam(err: SamError): CscError {
  // A rate-limited challenge carries the seconds until the next one is allowed (RFC 9110 §10.2.3 Retry-After).
  if (err.code === 'SAM_CHALLENGE_RATE_LIMITED' && /^[0-9]+$/.test(err.detail ?? '')) {
    return new CscError('tooManyChallenges', { cause: err, headers: { 'Retry-After': err.detail! } });
  }
  return new CscError(SAM_ERROR_TABLE[err.code]?.csc ?? 'serverError', { cause: err });
}
