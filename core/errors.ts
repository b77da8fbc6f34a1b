// The one catalogue of refusals the CSC API can give (CSC v2 §10.1 and the error tables of §11).
// Code anywhere else throws by name; exactly one error handler (rssp/http/error_handler.ts) serializes
// { error, error_description }. Descriptions follow the wording of the spec tables where one exists, so that
// clients matching on them keep working.

type Entry = { readonly status: number; readonly error: string; readonly description: string };

export const CSC_ERRORS = {
  // transport and request shape
  malformedAuthorizationHeader: { status: 400, error: 'invalid_request', description: 'Malformed authorization header' },
  missingAuthorization: { status: 401, error: 'invalid_token', description: 'Missing access token' },
  invalidToken: { status: 401, error: 'invalid_token', description: 'The access token is not valid' },
  expiredToken: { status: 401, error: 'expired_token', description: 'The access or refresh token is expired or has been revoked' },
  /** A CSC v2.2 credential creation or deletion token (RAR, authz/oauth/management_request.ts) allows one call. */
  tokenAlreadyUsed: { status: 401, error: 'invalid_token', description: 'The access token allowed one call and has been used' },
  // DPoP-bound access tokens (RFC 9449 §7.1): what is wrong with the proof is invalid_dpop_proof (the description
  // names the check, rssp/http/dpop_proof.ts); a token presented under the wrong scheme, or a proof by a key the
  // token is not bound to, is invalid_token.
  invalidDpopProof: { status: 401, error: 'invalid_dpop_proof', description: 'The DPoP proof is not valid' },
  dpopProofReplayed: { status: 401, error: 'invalid_dpop_proof', description: 'DPoP proof replayed' },
  dpopKeyMismatch: { status: 401, error: 'invalid_token', description: 'the DPoP proof key is not the key the access token is bound to' },
  dpopTokenAsBearer: { status: 401, error: 'invalid_token', description: 'The access token is bound to a DPoP key: present it with the DPoP scheme and a DPoP proof' },
  bearerTokenAsDpop: { status: 401, error: 'invalid_token', description: 'The access token is not bound to a DPoP key: present it with the Bearer scheme' },
  insufficientScope: { status: 403, error: 'access_denied', description: 'The access token does not allow this method' },
  invalidRequest: { status: 400, error: 'invalid_request', description: 'The request is malformed' },
  bodyTooLarge: { status: 413, error: 'invalid_request', description: 'Request body too large' },
  notJson: { status: 400, error: 'invalid_request', description: 'The request body must be a JSON object' },
  unsupportedMediaType: { status: 415, error: 'invalid_request', description: 'Content-Type must be application/json' },
  methodNotFound: { status: 404, error: 'invalid_request', description: 'Unknown API method' },
  methodNotAllowed: { status: 405, error: 'invalid_request', description: 'API methods are called with POST' },
  notImplemented: { status: 501, error: 'not_implemented', description: 'The method is not implemented by this service' },
  rateLimited: { status: 429, error: 'access_denied', description: 'Too many requests' },
  /** A limit that protects factors could not be checked (its store is down): refused rather than unthrottled. */
  rateLimitUnavailable: { status: 503, error: 'temporarily_unavailable', description: 'Request limits cannot be checked now; try again later' },

  // auth/login, auth/revoke (§11.2, §11.3)
  malformedAuthentication: { status: 401, error: 'invalid_request', description: 'Malformed authentication parameter' },
  malformedUsernamePassword: { status: 400, error: 'invalid_request', description: 'Malformed username-password' },
  invalidCredentials: { status: 400, error: 'authentication_error', description: 'An error occurred during the authentication process' },
  invalidRefreshToken: { status: 400, error: 'invalid_request', description: 'Invalid string parameter refresh_token' },
  invalidTokenParameter: { status: 400, error: 'invalid_request', description: 'Invalid string parameter token' },
  invalidTokenTypeHint: { status: 400, error: 'invalid_request', description: 'Invalid string parameter token_type_hint' },

  // credentials/* (§11.4 – §11.6)
  invalidUserID: { status: 400, error: 'invalid_request', description: 'Invalid parameter userID' },
  userIDNotAllowed: { status: 400, error: 'invalid_request', description: 'userID parameter MUST be null' },
  invalidCredentialID: { status: 400, error: 'invalid_request', description: 'Invalid parameter credentialID' },
  invalidCertificates: { status: 400, error: 'invalid_request', description: 'Invalid parameter certificates' },
  credentialDisabled: { status: 400, error: 'invalid_request', description: 'The credential identified by credentialID is disabled' },
  credentialLocked: { status: 400, error: 'invalid_request', description: 'Credential locked' },
  /** The SAM refuses a credential whose stored record was changed outside it (issue #14 finding 3). */
  credentialTampered: {
    status: 400,
    error: 'invalid_request',
    description: 'The credential cannot be used: its record failed the integrity check; contact the service operator',
  },
  credentialNotExplicit: { status: 400, error: 'invalid_request', description: 'The credential is not authorized in explicit mode' },
  invalidNumSignatures: { status: 400, error: 'invalid_request', description: 'Invalid value for parameter numSignatures' },
  tooManySignatures: { status: 400, error: 'invalid_request', description: 'Numbers of signatures is too high' },
  hashesRequired: { status: 400, error: 'invalid_request', description: 'Missing (or invalid type) array parameter hashes' },
  hashCountMismatch: { status: 400, error: 'invalid_request', description: 'The number of hashes does not match numSignatures' },
  invalidAuthenticationData: { status: 400, error: 'invalid_authentication_data', description: 'The authentication data is invalid' },
  invalidOtp: { status: 400, error: 'invalid_otp', description: 'The OTP is invalid' },
  invalidPin: { status: 400, error: 'invalid_pin', description: 'The PIN is invalid' },
  otpNotEnrolled: { status: 400, error: 'invalid_request', description: 'No one-time password is enrolled for the user' },

  // credentials/getChallenge (§11.8) and credentials/extendTransaction (§11.9)
  invalidAuthObjectID: { status: 400, error: 'invalid_request', description: 'Invalid parameter authObjectID' },
  noOtpRecipient: { status: 400, error: 'invalid_request', description: 'No e-mail address or phone number is registered to send the one-time password to' },
  tooManyChallenges: { status: 429, error: 'access_denied', description: 'Too many one-time passwords requested for this credential; try again later' },
  otpNotDelivered: { status: 503, error: 'temporarily_unavailable', description: 'The one-time password could not be delivered; try again later' },
  sadExtensionLimit: { status: 400, error: 'invalid_request', description: 'The transaction cannot be extended any further' },

  // credentials/authorizeCheck (§11.7)
  invalidHandle: { status: 400, error: 'invalid_request', description: 'Invalid parameter handle' },
  approvalExpired: { status: 400, error: 'invalid_request', description: 'The authorization request has expired' },
  approvalRefused: { status: 400, error: 'access_denied', description: 'The user refused the authorization' },

  // signatures/signHash (§11.10)
  missingSad: { status: 400, error: 'invalid_request', description: 'Missing (or invalid type) string parameter SAD' },
  invalidSad: { status: 400, error: 'invalid_request', description: 'Invalid parameter SAD' },
  // A body parameter cannot carry the DPoP proof that such a token needs (RFC 9449 §7.1).
  dpopTokenAsSad: { status: 400, error: 'invalid_request', description: 'A DPoP-bound access token cannot be sent as SAD' },
  sadExpired: { status: 400, error: 'invalid_request', description: 'SAD expired' },
  sadExhausted: { status: 400, error: 'invalid_request', description: 'The SAD has been used for all the signatures it authorizes' },
  emptyHashes: { status: 400, error: 'invalid_request', description: 'Empty hash array' },
  invalidBase64Hash: { status: 400, error: 'invalid_request', description: 'Invalid Base64 hash string parameter' },
  invalidDigestLength: { status: 400, error: 'invalid_request', description: 'Invalid digest value length' },
  hashNotAuthorized: { status: 400, error: 'invalid_request', description: 'Hash is not authorized by the SAD' },
  invalidSignAlgo: { status: 400, error: 'invalid_request', description: 'Invalid parameter signAlgo' },
  missingHashAlgorithmOID: { status: 400, error: 'invalid_request', description: 'Missing (or invalid type) string parameter hashAlgorithmOID' },
  invalidHashAlgorithmOID: { status: 400, error: 'invalid_request', description: 'Invalid parameter hashAlgorithmOID' },
  missingSignAlgoParams: { status: 400, error: 'invalid_request', description: 'Missing (or invalid type) string parameter signAlgoParams' },
  invalidSignAlgoParams: { status: 400, error: 'invalid_request', description: 'Invalid parameter signAlgoParams' },
  invalidOperationMode: { status: 400, error: 'invalid_request', description: 'Invalid parameter operationMode' },
  // asynchronous mode (§11.10 operationMode "A") and signatures/signPolling (§11.12)
  invalidValidityPeriod: { status: 400, error: 'invalid_request', description: 'Invalid parameter validity_period' },
  validityPeriodOutOfBounds: { status: 400, error: 'invalid_request', description: 'Out of bounds parameter validity_period' },
  invalidResponseUri: { status: 400, error: 'invalid_request', description: 'Invalid parameter response_uri' },
  invalidRequestID: { status: 400, error: 'invalid_request', description: 'Invalid parameter requestID' },
  pollUserIDNotAllowed: { status: 400, error: 'invalid_request', description: 'userID parameter SHALL be null' },
  /** §11.12: not a refusal but the answer while the job is pending, in the shape of the error table. */
  acceptedRequest: {
    status: 202,
    error: 'accepted_request',
    description: 'The previous asynchronous signature request has been accepted for processing, but the processing has not yet been completed',
  },
  certificateNotValid: { status: 400, error: 'invalid_request', description: 'The certificate of the credential is not valid at this time' },

  // signatures/signDoc (§11.11): the wordings of its error table
  missingCredentialID: { status: 400, error: 'invalid_request', description: 'Missing (or invalid type) string parameter credentialID' },
  signDocCredentialRequired: {
    status: 400,
    error: 'invalid_request',
    description: 'Missing (or invalid type) string parameter credentialID: this service does not choose a credential by signatureQualifier',
  },
  documentsInvalid: { status: 400, error: 'invalid_request', description: 'Invalid array parameter documents' },
  documentDigestsInvalid: { status: 400, error: 'invalid_request', description: 'Invalid object parameter documentDigests' },
  noDocuments: { status: 400, error: 'invalid_request', description: 'Empty documentDigests and documents objects' },
  bothDocumentsAndDigests: { status: 400, error: 'invalid_request', description: 'Both documentDigests and documents parameters passed' },
  invalidBase64Hashes: { status: 400, error: 'invalid_request', description: 'Invalid Base64 hashes string parameter' },
  invalidBase64Document: { status: 400, error: 'invalid_request', description: 'Invalid Base64 documents string parameter' },
  missingSignAlgo: { status: 400, error: 'invalid_request', description: 'Missing (or invalid type) string parameter signAlgo' },
  hashAlgorithmContradictsSignAlgo: { status: 400, error: 'invalid_request', description: 'String parameter hashAlgorithmOID contradicts with signAlgo parameter' },
  missingSignatureFormat: { status: 400, error: 'invalid_request', description: 'Missing (or invalid type) string parameter signature_format' },
  invalidSignatureFormat: { status: 400, error: 'invalid_request', description: 'Invalid parameter signature_format' },
  invalidConformanceLevel: { status: 400, error: 'invalid_request', description: 'Invalid parameter conformance_level' },
  invalidEnvelope: { status: 400, error: 'invalid_request', description: 'Invalid parameter signed_envelope_property' },
  invalidSignedProps: { status: 400, error: 'invalid_request', description: 'Invalid parameter signed_props' },
  /** A document above SIGNDOC_MAX_DOCUMENT_BYTES (the description names the limit). */
  documentTooLarge: { status: 413, error: 'invalid_request', description: 'A document is larger than this service signs' },
  /** The document is not what its format needs (malformed PDF, a PDF already certified); the description says why. */
  documentMalformed: { status: 400, error: 'invalid_request', description: 'The document cannot be signed in the requested format' },
  /** §11.11 "Document or documentDigest to be signed does not match one of the authorized hashes": the spec's
   *  wording, its misspelling included, so that clients matching on it keep working. */
  documentNotAuthorized: { status: 403, error: 'invalid_hash', description: 'Document or documentDigest does not match authroized hash' },
  /** The SAM found that the data to be signed does not carry the authorized digest (a fault of this service). */
  dtbsrMismatch: { status: 403, error: 'invalid_hash', description: 'Document or documentDigest does not match authroized hash' },

  // signatures/timestamp (§11.13): the wordings of its error table
  missingTimestampHash: { status: 400, error: 'invalid_request', description: 'Missing (or invalid type) string parameter hash' },
  emptyTimestampHash: { status: 400, error: 'invalid_request', description: 'Empty hash parameter' },
  missingHashAlgo: { status: 400, error: 'invalid_request', description: 'Missing (or invalid type) string parameter hashAlgo' },
  invalidHashAlgo: { status: 400, error: 'invalid_request', description: 'Invalid parameter hashAlgo' },
  invalidNonce: { status: 400, error: 'invalid_request', description: 'Invalid parameter nonce' },
  /** The external TSA (TSA_URL) is down or refused: nothing was time-stamped, the client may try again. */
  timestampUnavailable: { status: 503, error: 'temporarily_unavailable', description: 'The time-stamping authority is temporarily unavailable' },
  /** The external TSA answered a token that failed our checks (imprint, nonce, signature): not passed on. */
  timestampInvalid: { status: 500, error: 'server_error', description: 'The time-stamping authority returned a token that failed verification' },

  // CSC v1.0.4.0 compatibility (/csc/v1): the same refusals, worded with the v1 parameter names
  v1HashRequired: { status: 400, error: 'invalid_request', description: 'Missing (or invalid type) array parameter hash' },
  v1MissingHashAlgo: { status: 400, error: 'invalid_request', description: 'Missing (or invalid type) string parameter hashAlgo' },
  v1InvalidHashAlgo: { status: 400, error: 'invalid_request', description: 'Invalid parameter hashAlgo' },
  v1InvalidPageToken: { status: 400, error: 'invalid_request', description: 'Invalid parameter pageToken' },
  v1OtpOffline: { status: 400, error: 'invalid_request', description: 'The OTP of this credential is generated offline: there is nothing to send' },
  v1ApprovalOutOfBand: { status: 400, error: 'invalid_request', description: 'This credential is approved out of band, which CSC v1 cannot do: use /csc/v2' },

  // admin API and user management (admin/README.md); not part of the CSC wire format
  adminUnauthorized: { status: 401, error: 'invalid_token', description: 'Missing or invalid admin token' },
  adminRouteNotFound: { status: 404, error: 'invalid_request', description: 'Unknown admin route' },
  invalidUsername: { status: 400, error: 'invalid_request', description: 'Invalid parameter username: 3 to 64 characters among A-Z a-z 0-9 . _ @ -' },
  invalidPassword: { status: 400, error: 'invalid_request', description: 'Invalid parameter password: 8 to 1024 characters' },
  usernameTaken: { status: 409, error: 'invalid_request', description: 'A user with this username already exists' },
  userNotFound: { status: 404, error: 'invalid_request', description: 'No user with this username' },
  credentialNotFound: { status: 404, error: 'invalid_request', description: 'No credential with this credentialID' },
  certificateKeyMismatch: { status: 400, error: 'invalid_request', description: 'The end-entity certificate does not match the key of the credential' },
  /** Issue #14 finding 1: in production the operator never holds a user's factor. */
  factorsByAdminRefused: {
    status: 403,
    error: 'access_denied',
    description:
      'In production the admin API neither sets PINs nor hands out TOTP seeds (sole control): issue an activation link instead (POST /admin/users/{username}/activation, activation:issue)',
  },
  activationNoRecipient: { status: 400, error: 'invalid_request', description: 'The user has no e-mail address or phone number to send an activation link to' },
  activationNotDelivered: { status: 503, error: 'temporarily_unavailable', description: 'The activation link could not be delivered; no link was issued' },
  certificateChainInvalid: { status: 400, error: 'invalid_request', description: 'The certificate chain is invalid: each certificate must be issued by the next one' },

  // the service itself
  hsmUnavailable: { status: 503, error: 'temporarily_unavailable', description: 'The signing device is temporarily unavailable' },
  /** The database cannot be reached (restarting, failing over): nothing was decided, the client may try again. */
  storeUnavailable: { status: 503, error: 'temporarily_unavailable', description: 'The service is temporarily unavailable; try again shortly' },
  serverError: { status: 500, error: 'server_error', description: 'The service encountered an unexpected condition' },
} as const satisfies Record<string, Entry>;

export type CscErrorName = keyof typeof CSC_ERRORS;

export class CscError extends Error {
  readonly status: number;
  readonly error: string;
  readonly description: string;
  /** Extra response headers (Retry-After, WWW-Authenticate). */
  readonly headers: Record<string, string>;

  constructor(
    readonly code: CscErrorName,
    opts: { description?: string; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    const entry: Entry = CSC_ERRORS[code];
    super(opts.description ?? entry.description, { cause: opts.cause });
    this.name = 'CscError';
    this.status = entry.status;
    this.error = entry.error;
    this.description = opts.description ?? entry.description;
    this.headers = opts.headers ?? {};
  }

  toJSON() {
    return { error: this.error, error_description: this.description };
  }
}
