// After the v1 body has been validated against csc-v1.yaml, it is given its v2 form so that the very same v2 steps
// (and the same SAM calls) run behind /csc/v1: no second signing path. Only fields that v1 and v2 both define with
// the same meaning are renamed (CSC v1 §11.6, §11.9 against CSC v2 §11.6, §11.10: hash → hashes, hashAlgo →
// hashAlgorithmOID); everything else keeps its name. One conversion per method, typed from the two documents, so
// the compiler checks that what the v2 steps read is what the v1 document promised.
import type { CscRequest } from '../../../../openapi/types.ts';
import type { CscV1Request } from '../../../../openapi/types_v1.ts';
import type { Step } from '../../step.ts';
import { setBody } from '../../steps/validate_body.ts';
import { v1BodyOf } from './validate_v1_body.ts';

/** The v1 methods served by v2 steps that read the body. */
export type V2FormOperation = 'auth/login' | 'auth/revoke' | 'credentials/authorize' | 'credentials/extendTransaction' | 'signatures/signHash';

/** v1 PIN / OTP → v2 authData (CSC v2 §8.3.1); the SAM judges the values, rssp only forwards them. */
function authDataOf(PIN: string | undefined, OTP: string | undefined): { authData?: { id: string; value: string }[] } {
  const authData: { id: string; value: string }[] = [];
  if (typeof PIN === 'string') authData.push({ id: 'PIN', value: PIN });
  if (typeof OTP === 'string') authData.push({ id: 'OTP', value: OTP });
  return authData.length ? { authData } : {};
}

// A v2 name sent to /csc/v1 is not a v1 parameter: dropped (`hashes`, `hashAlgorithmOID`, `authData` below), so that
// it cannot stand in for the validated v1 one. v1 authorize and extendTransaction name no hash algorithm: a
// `hashAlgo` there is dropped too, and hashAlgorithmFromLength sets hashAlgorithmOID from the digests.
const TO_V2: { [Op in V2FormOperation]: (v1: CscV1Request<Op>) => CscRequest<Op> } = {
  // Fields of v2 already (CSC v1 §11.2, §11.3 = v2 §11.2, §11.3).
  'auth/login': (v1) => v1,
  'auth/revoke': (v1) => v1,
  'credentials/authorize': ({ hash, hashAlgo: _hashAlgo, PIN, OTP, hashes: _hashes, hashAlgorithmOID: _oid, authData: _authData, ...rest }) => ({
    ...rest,
    ...(hash !== undefined ? { hashes: hash } : {}),
    ...authDataOf(PIN, OTP),
  }),
  'credentials/extendTransaction': ({ hash, hashAlgo: _hashAlgo, hashes: _hashes, hashAlgorithmOID: _oid, ...rest }) => ({
    ...rest,
    ...(hash !== undefined ? { hashes: hash } : {}),
  }),
  'signatures/signHash': ({ hash, hashAlgo, hashes: _hashes, hashAlgorithmOID: _oid, ...rest }) => ({
    ...rest,
    hashes: hash,
    ...(hashAlgo !== undefined ? { hashAlgorithmOID: hashAlgo } : {}),
  }),
};

export function asV2Body<Op extends V2FormOperation>(op: Op): Step {
  return (ctx) => setBody(ctx, op, TO_V2[op](v1BodyOf(ctx, op)));
}
