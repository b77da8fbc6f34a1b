// The v1 error model is the v2 one ({ error, error_description } with the same statuses). Only the refusals whose
// wording names a parameter that v1 calls differently are re-worded, so that a v1 client reads its own names
// (`hash`, not `hashes`; `hashAlgo`, not `hashAlgorithmOID`).
import { CscError, type CscErrorName } from '../../../core/errors.ts';

const V1_WORDING: Partial<Record<CscErrorName, CscErrorName>> = {
  hashesRequired: 'v1HashRequired',
  missingHashAlgorithmOID: 'v1MissingHashAlgo',
  invalidHashAlgorithmOID: 'v1InvalidHashAlgo',
};

export function toV1Error(err: CscError): CscError {
  const renamed = V1_WORDING[err.code];
  return renamed ? new CscError(renamed, { cause: err.cause, headers: err.headers }) : err;
}
