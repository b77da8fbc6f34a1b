// Failures of the key store become SAM errors with stable codes (DESIGN §5: errors cross the port as strings).
// The CKR_* name stays in `detail` for logs and the audit trail; it never carries a secret.
import { SamError } from '../../core/sam_port.ts';
import { HsmError } from '../hsm/hsm.ts';

/** CKR codes that mean "the device or the session is gone, try again later" rather than "this request is bad":
 *  callers answer 503 for these (CSC v2 §10.1 temporarily_unavailable). */
const UNAVAILABLE = /^CKR_(DEVICE_|TOKEN_|SESSION_|USER_NOT_LOGGED_IN|CRYPTOKI_NOT_INITIALIZED|PIN_EXPIRED|PIN_LOCKED)/;

export function toSamError(err: unknown): SamError {
  if (err instanceof SamError) return err;
  if (err instanceof HsmError) {
    return new SamError(UNAVAILABLE.test(err.ckr) ? 'SAM_HSM_UNAVAILABLE' : 'SAM_HSM_ERROR', err.ckr, { cause: err });
  }
  return new SamError('SAM_HSM_ERROR', err instanceof Error ? err.name : 'unknown', { cause: err });
}

/** Runs one HSM call and maps its failure. */
export async function hsmCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toSamError(err);
  }
}

/** For code that calls the HSM among other things (the CA, CSR building): only HsmError is mapped, so that a
 *  refusal of the input (a TypeError for a malformed subject) keeps its meaning. */
export async function mapHsmErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof HsmError ? toSamError(err) : err;
  }
}
