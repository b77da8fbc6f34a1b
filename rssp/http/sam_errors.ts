// The one table from the SAM's refusal codes to the CSC error catalogue (STYLE §2). Factor failures all become
// invalidAuthenticationData so that a caller cannot learn which factor was wrong (CSC v2 §11.6). Anything not
// listed (certificate import problems, HSM faults, a signature that failed its own verification) is a server
// error: the client cannot fix it, and the details stay in our logs.
import { CscError, type CscErrorName } from '../../core/errors.ts';
import type { SamError, SamErrorCode } from '../../core/sam_port.ts';

export const SAM_ERRORS: Partial<Record<SamErrorCode, CscErrorName>> = {
  SAM_CREDENTIAL_UNKNOWN: 'invalidCredentialID',
  SAM_NOT_OWNER: 'invalidCredentialID',
  SAM_CREDENTIAL_DISABLED: 'credentialDisabled',
  SAM_CREDENTIAL_LOCKED: 'credentialLocked',
  SAM_CREDENTIAL_TAMPERED: 'credentialTampered',
  SAM_PIN_INVALID: 'invalidAuthenticationData',
  SAM_OTP_INVALID: 'invalidAuthenticationData',
  SAM_OTP_REUSED: 'invalidAuthenticationData',
  SAM_FACTORS_MISSING: 'invalidAuthenticationData',
  SAM_OTP_NOT_ENROLLED: 'otpNotEnrolled',
  SAM_HASHES_REQUIRED: 'hashesRequired',
  SAM_HASH_COUNT_MISMATCH: 'hashCountMismatch',
  SAM_NUM_SIGNATURES_INVALID: 'invalidNumSignatures',
  SAM_TOO_MANY_SIGNATURES: 'tooManySignatures',
  SAM_SAD_INVALID: 'invalidSad',
  SAM_SAD_REVOKED: 'invalidSad',
  SAM_SAD_WRONG_CREDENTIAL: 'invalidSad',
  SAM_WRONG_CLIENT: 'invalidSad',
  SAM_SAD_EXPIRED: 'sadExpired',
  SAM_SAD_EXHAUSTED: 'sadExhausted',
  SAM_HASH_NOT_AUTHORIZED: 'hashNotAuthorized',
  SAM_HASH_LENGTH: 'invalidDigestLength',
  SAM_HASH_ALG_INVALID: 'invalidHashAlgorithmOID',
  SAM_HASH_ALG_MISMATCH: 'invalidHashAlgorithmOID',
  SAM_SIGN_ALGO_INVALID: 'invalidSignAlgo',
  SAM_SIGN_ALGO_PARAMS_INVALID: 'invalidSignAlgoParams',
  SAM_CERT_NOT_VALID: 'certificateNotValid',
  SAM_HSM_UNAVAILABLE: 'hsmUnavailable',
  SAM_STORE_UNAVAILABLE: 'storeUnavailable',
  SAM_CHALLENGE_NOT_APPLICABLE: 'invalidAuthObjectID',
  SAM_CHALLENGE_RATE_LIMITED: 'tooManyChallenges',
  SAM_NO_RECIPIENT: 'noOtpRecipient',
  SAM_NOTIFY_FAILED: 'otpNotDelivered',
  SAM_SAD_EXTENSION_LIMIT: 'sadExtensionLimit',
  SAM_APPROVAL_UNKNOWN: 'invalidHandle',
  SAM_APPROVAL_EXPIRED: 'approvalExpired',
  SAM_APPROVAL_REFUSED: 'approvalRefused',
};

export function cscErrorFromSam(err: SamError): CscError {
  // A rate-limited challenge carries the seconds until the next one is allowed (RFC 9110 §10.2.3 Retry-After).
  if (err.code === 'SAM_CHALLENGE_RATE_LIMITED' && /^[0-9]+$/.test(err.detail ?? '')) {
    return new CscError('tooManyChallenges', { cause: err, headers: { 'Retry-After': err.detail! } });
  }
  return new CscError(SAM_ERRORS[err.code] ?? 'serverError', { cause: err });
}
