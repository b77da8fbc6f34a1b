// The one table from the SAM's refusal codes to what each edge answers (issue #15 item 3): the CSC API (rssp), the
// admin API, and the OAuth signature page (authz). A Record over every SamErrorCode, so that a new code does not
// compile until each edge has decided what to make of it.
//
// CSC: factor failures all become invalidAuthenticationData, so that a caller cannot learn which factor was wrong
// (CSC v2 §11.6); what the client cannot fix (certificate import problems, HSM faults, a signature that failed its
// own verification) is serverError, the details staying in our logs. Admin: only what an operator can cause or act
// on is named; the rest is an unexpected server error. Page: what the person can fix is shown on the page, what
// ends the authorization goes back to the client (RFC 6749 §4.1.2.1), the rest is a server error.
import type { CscErrorName } from './errors.ts';
import type { SamErrorCode } from './sam_port.ts';

/** On the OAuth signature page: a message for the person (authz/pages/render.ts texts), an error for the client, or
 *  a server error. */
export type PageOutcome =
  | { page: 'wrongFactors' | 'factorsMissing' | 'otpNotEnrolled' | 'locked' }
  | { client: { error: string; description: string } }
  | 'server';

export type SamErrorOutcome = { csc: CscErrorName; admin: CscErrorName; page: PageOutcome };

export const SAM_ERROR_TABLE: Record<SamErrorCode, SamErrorOutcome> = {
  SAM_CREDENTIAL_UNKNOWN: { csc: 'invalidCredentialID', admin: 'credentialNotFound', page: { client: { error: 'invalid_request', description: 'Invalid parameter credentialID' } } },
  SAM_CREDENTIAL_EXISTS: { csc: 'serverError', admin: 'serverError', page: 'server' },
  SAM_CREDENTIAL_DISABLED: { csc: 'credentialDisabled', admin: 'serverError', page: { client: { error: 'access_denied', description: 'The credential is disabled' } } },
  SAM_CREDENTIAL_TAMPERED: { csc: 'credentialTampered', admin: 'credentialTampered', page: { client: { error: 'access_denied', description: 'The credential failed its integrity check' } } },
  SAM_CREDENTIAL_LOCKED: { csc: 'credentialLocked', admin: 'serverError', page: { page: 'locked' } },
  SAM_NOT_OWNER: { csc: 'invalidCredentialID', admin: 'credentialNotFound', page: { client: { error: 'invalid_request', description: 'Invalid parameter credentialID' } } },
  SAM_WRONG_CLIENT: { csc: 'invalidSad', admin: 'serverError', page: 'server' },
  SAM_FACTORS_MISSING: { csc: 'invalidAuthenticationData', admin: 'serverError', page: { page: 'factorsMissing' } },
  SAM_PIN_INVALID: { csc: 'invalidAuthenticationData', admin: 'serverError', page: { page: 'wrongFactors' } },
  SAM_OTP_INVALID: { csc: 'invalidAuthenticationData', admin: 'serverError', page: { page: 'wrongFactors' } },
  SAM_OTP_NOT_ENROLLED: { csc: 'otpNotEnrolled', admin: 'serverError', page: { page: 'otpNotEnrolled' } },
  SAM_OTP_REUSED: { csc: 'invalidAuthenticationData', admin: 'serverError', page: { page: 'wrongFactors' } },
  SAM_HASHES_REQUIRED: { csc: 'hashesRequired', admin: 'serverError', page: { client: { error: 'invalid_request', description: 'hashes are required for this credential (SCAL 2)' } } },
  SAM_HASH_COUNT_MISMATCH: { csc: 'hashCountMismatch', admin: 'serverError', page: { client: { error: 'invalid_request', description: 'numSignatures must equal the number of hashes' } } },
  SAM_NUM_SIGNATURES_INVALID: { csc: 'invalidNumSignatures', admin: 'serverError', page: { client: { error: 'invalid_request', description: 'Invalid parameter numSignatures' } } },
  SAM_CREDENTIAL_POLICY_INVALID: { csc: 'serverError', admin: 'serverError', page: 'server' },
  SAM_TOO_MANY_SIGNATURES: { csc: 'tooManySignatures', admin: 'serverError', page: { client: { error: 'invalid_request', description: 'numSignatures is above the credential\'s multisign' } } },
  SAM_SAD_INVALID: { csc: 'invalidSad', admin: 'serverError', page: 'server' },
  SAM_SAD_EXPIRED: { csc: 'sadExpired', admin: 'serverError', page: 'server' },
  SAM_SAD_REVOKED: { csc: 'invalidSad', admin: 'serverError', page: 'server' },
  SAM_SAD_EXHAUSTED: { csc: 'sadExhausted', admin: 'serverError', page: 'server' },
  SAM_SAD_WRONG_CREDENTIAL: { csc: 'invalidSad', admin: 'serverError', page: 'server' },
  SAM_HASH_NOT_AUTHORIZED: { csc: 'hashNotAuthorized', admin: 'serverError', page: 'server' },
  SAM_HASH_LENGTH: { csc: 'invalidDigestLength', admin: 'serverError', page: { client: { error: 'invalid_request', description: 'A hash does not have the length of the hash algorithm' } } },
  SAM_HASH_ALG_INVALID: { csc: 'invalidHashAlgorithmOID', admin: 'serverError', page: { client: { error: 'invalid_request', description: 'Invalid parameter hashAlgorithmOID' } } },
  SAM_HASH_ALG_MISMATCH: { csc: 'invalidHashAlgorithmOID', admin: 'serverError', page: 'server' },
  SAM_SIGN_ALGO_INVALID: { csc: 'invalidSignAlgo', admin: 'serverError', page: 'server' },
  SAM_SIGN_ALGO_PARAMS_INVALID: { csc: 'invalidSignAlgoParams', admin: 'serverError', page: 'server' },
  SAM_CERT_NOT_VALID: { csc: 'certificateNotValid', admin: 'serverError', page: { client: { error: 'access_denied', description: 'The certificate of the credential is not valid' } } },
  SAM_CERT_MISMATCH: { csc: 'serverError', admin: 'certificateKeyMismatch', page: 'server' },
  SAM_CERT_CHAIN_INVALID: { csc: 'serverError', admin: 'certificateChainInvalid', page: 'server' },
  SAM_SIGNATURE_VERIFY_FAILED: { csc: 'serverError', admin: 'serverError', page: 'server' },
  SAM_HSM_UNAVAILABLE: { csc: 'hsmUnavailable', admin: 'hsmUnavailable', page: 'server' },
  SAM_HSM_ERROR: { csc: 'serverError', admin: 'serverError', page: 'server' },
  SAM_STORE_UNAVAILABLE: { csc: 'storeUnavailable', admin: 'storeUnavailable', page: 'server' },
  SAM_CHALLENGE_NOT_APPLICABLE: { csc: 'invalidAuthObjectID', admin: 'serverError', page: 'server' },
  SAM_CHALLENGE_RATE_LIMITED: { csc: 'tooManyChallenges', admin: 'serverError', page: 'server' },
  SAM_NO_RECIPIENT: { csc: 'noOtpRecipient', admin: 'activationNoRecipient', page: 'server' },
  SAM_NOTIFY_FAILED: { csc: 'otpNotDelivered', admin: 'activationNotDelivered', page: 'server' },
  SAM_SAD_EXTENSION_LIMIT: { csc: 'sadExtensionLimit', admin: 'serverError', page: 'server' },
  SAM_APPROVAL_UNKNOWN: { csc: 'invalidHandle', admin: 'serverError', page: 'server' },
  SAM_APPROVAL_EXPIRED: { csc: 'approvalExpired', admin: 'serverError', page: 'server' },
  SAM_APPROVAL_REFUSED: { csc: 'approvalRefused', admin: 'serverError', page: 'server' },
  // Activation links (authz/pages/activation.ts answers these on its own page; admin checks its input first).
  SAM_ACTIVATION_INVALID: { csc: 'serverError', admin: 'serverError', page: 'server' },
  SAM_ACTIVATION_NOTHING_TO_ACTIVATE: { csc: 'serverError', admin: 'serverError', page: 'server' },
  SAM_PIN_FORMAT: { csc: 'serverError', admin: 'serverError', page: 'server' },
  // Only the authorization server's start-up and key rotation open its secrets: whatever edge sees it, a server fault.
  SAM_AUTHZ_SECRET_INVALID: { csc: 'serverError', admin: 'serverError', page: 'server' },
  // signatures/timestamp (CSC v2 §11.13); rssp checks the nonce first, this is the SAM's own check behind it.
  SAM_NONCE_INVALID: { csc: 'invalidNonce', admin: 'serverError', page: 'server' },
  SAM_TSA_UNAVAILABLE: { csc: 'timestampUnavailable', admin: 'serverError', page: 'server' },
  SAM_TSA_RESPONSE_INVALID: { csc: 'timestampInvalid', admin: 'serverError', page: 'server' },
  // signatures/signDoc (CSC v2 §11.11): sign inputs are built by rssp, so a malformed list is our own fault; a
  // DTBS/R that does not carry the authorized digest is refused as not authorized.
  SAM_SIGN_INPUTS_INVALID: { csc: 'serverError', admin: 'serverError', page: 'server' },
  SAM_DTBSR_MISMATCH: { csc: 'dtbsrMismatch', admin: 'serverError', page: 'server' },
};
