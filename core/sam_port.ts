// The Signature Activation Module port (DESIGN §5). rssp, authz and the admin API talk to the SAM only through
// this interface: plain data in, plain data out, errors with string codes, so that the same port can be served
// in-process (one-process mode) or over HTTP (split mode) without any caller noticing.
//
// Byte strings cross the port as Uint8Array in-process; the HTTP transport encodes them as base64.

/** Key types the SAM can generate in the token (issue #2 §4). */
export type KeyAlgo = 'EC-P256' | 'EC-P384' | 'RSA-2048' | 'RSA-3072';

/** Who asked, for the audit row of every activation and every signing attempt (DESIGN §2). */
export type RequestContext = {
  requestId: string;
  sourceIp?: string;
  userAgent?: string;
};

export type Factors = { pin?: string; otp?: string };

/** How a credential's one-time password reaches its owner: an authenticator app (TOTP), or a code the SAM
 *  generates on credentials/getChallenge and sends by e-mail or SMS (CSC v2 §11.8). */
export type OtpChannel = 'totp' | 'email' | 'sms';

/** Where out-of-band messages for a person go; read by the caller from the user record. */
export type Recipient = { username: string; email?: string | null; phone?: string | null };

export type CredentialState = {
  credentialID: string;
  ownerId: string;
  keyAlgo: KeyAlgo;
  /** Combined and key OIDs a client may send as signAlgo (CSC v2 §11.5 key/algo). */
  signAlgos: string[];
  /** Key length in bits (RSA modulus or EC field size). */
  keyLength: number;
  /** Curve OID for EC keys. */
  curve?: string;
  enabled: boolean;
  locked: boolean;
  /** Validity of the bound end-entity certificate, ISO-8601. */
  notBefore?: string;
  notAfter?: string;
  hasPin: boolean;
  otpChannel: OtpChannel;
  /** 'async': credentials/authorize answers 202 and the person approves on a page (CSC v2 §11.6, §11.7). */
  approval: Approval;
};

export type Approval = 'inline' | 'async';

/** Sole Control Assurance Level (CSC v2 §11.5 SCAL): at "2" every authorization binds the exact hashes and two
 *  factors. Stored by the SAM when the credential is created; no caller can claim another (issue #14 finding 4). */
export type Scal = '1' | '2';

export type SamErrorCode =
  | 'SAM_CREDENTIAL_UNKNOWN'
  /** createCredential with an id that is already bound. */
  | 'SAM_CREDENTIAL_EXISTS'
  | 'SAM_CREDENTIAL_DISABLED'
  /** The credential's row does not carry the SAM's seal over its content: changed outside the SAM (issue #14). */
  | 'SAM_CREDENTIAL_TAMPERED'
  | 'SAM_CREDENTIAL_LOCKED'
  | 'SAM_NOT_OWNER'
  | 'SAM_WRONG_CLIENT'
  | 'SAM_FACTORS_MISSING'
  | 'SAM_PIN_INVALID'
  | 'SAM_OTP_INVALID'
  | 'SAM_OTP_NOT_ENROLLED'
  | 'SAM_OTP_REUSED'
  | 'SAM_HASHES_REQUIRED'
  | 'SAM_HASH_COUNT_MISMATCH'
  | 'SAM_NUM_SIGNATURES_INVALID'
  /** createCredential with a SCAL or multisign outside their range. */
  | 'SAM_CREDENTIAL_POLICY_INVALID'
  /** numSignatures above the credential's multisign, as the SAM stores it. */
  | 'SAM_TOO_MANY_SIGNATURES'
  | 'SAM_SAD_INVALID'
  | 'SAM_SAD_EXPIRED'
  | 'SAM_SAD_REVOKED'
  | 'SAM_SAD_EXHAUSTED'
  | 'SAM_SAD_WRONG_CREDENTIAL'
  | 'SAM_HASH_NOT_AUTHORIZED'
  | 'SAM_HASH_LENGTH'
  | 'SAM_HASH_ALG_INVALID'
  | 'SAM_HASH_ALG_MISMATCH'
  | 'SAM_SIGN_ALGO_INVALID'
  | 'SAM_SIGN_ALGO_PARAMS_INVALID'
  | 'SAM_CERT_NOT_VALID'
  | 'SAM_CERT_MISMATCH'
  | 'SAM_CERT_CHAIN_INVALID'
  | 'SAM_SIGNATURE_VERIFY_FAILED'
  | 'SAM_HSM_UNAVAILABLE'
  | 'SAM_HSM_ERROR'
  /** The SAM's database cannot be reached (split mode: the SAM process said so). */
  | 'SAM_STORE_UNAVAILABLE'
  /** getChallenge for a credential whose OTP comes from an authenticator app: nothing to send. */
  | 'SAM_CHALLENGE_NOT_APPLICABLE'
  /** getChallenge beyond the configured number per window; `detail` is the seconds until the next is allowed. */
  | 'SAM_CHALLENGE_RATE_LIMITED'
  /** The user record has no e-mail address (or phone number) for the credential's channel. */
  | 'SAM_NO_RECIPIENT'
  /** The notifier could not hand the message over (SMTP server or SMS gateway down). */
  | 'SAM_NOTIFY_FAILED'
  /** extendTransaction beyond the longest transaction the policy allows. */
  | 'SAM_SAD_EXTENSION_LIMIT'
  /** authorizeCheck with a handle that is unknown, not the caller's, or already answered with its SAD. */
  | 'SAM_APPROVAL_UNKNOWN'
  /** The asynchronous authorization was not approved in time (or its SAD expired before it was fetched). */
  | 'SAM_APPROVAL_EXPIRED'
  /** The person refused the asynchronous authorization. */
  | 'SAM_APPROVAL_REFUSED'
  /** An activation link that is unknown, already used (or spent by wrong codes) or expired: one code for all three, so
   *  that the page tells a guesser nothing (issue #14 finding 1). */
  | 'SAM_ACTIVATION_INVALID'
  /** issueActivation covering no credential of the user, or one that is not theirs. */
  | 'SAM_ACTIVATION_NOTHING_TO_ACTIVATE'
  /** redeemActivation with a PIN that is not 4 to 16 digits. */
  | 'SAM_PIN_FORMAT'
  /** openAuthzSecret on a blob that does not open under the SAM's wrap key with the row's kid and use: changed or moved
   *  in the database, or sealed by another token (issue #14 finding 7). */
  | 'SAM_AUTHZ_SECRET_INVALID'
  /** timestamp with a nonce that is not hexadecimal digits (CSC v2 §11.13). */
  | 'SAM_NONCE_INVALID'
  /** The external TSA (TSA_URL) cannot be reached, answered an HTTP error, or refused the request. */
  | 'SAM_TSA_UNAVAILABLE'
  /** The external TSA answered a token that fails the checks: wrong imprint or nonce, bad signature, malformed. */
  | 'SAM_TSA_RESPONSE_INVALID'
  /** signHash with signInputs that are not one per hash, or whose hash has the wrong length. */
  | 'SAM_SIGN_INPUTS_INVALID'
  /** A sign input whose CMS signed attributes do not hash to it, or whose messageDigest is not the authorized hash at
   *  its index (CSC v2 §11.11: the SAD binds the document digests, DESIGN §2). */
  | 'SAM_DTBSR_MISMATCH';

/** A refusal or failure of the SAM. `detail` may name a CKR_* code; it never carries a secret. */
export class SamError extends Error {
  constructor(
    readonly code: SamErrorCode,
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(detail ? `${code}: ${detail}` : code, options);
    this.name = 'SamError';
  }
}

export type ApprovalView = {
  credentialID: string;
  clientId: string;
  numSignatures: number;
  hashAlgorithmOID: string | null;
  hashes: Uint8Array[];
  description: string | null;
  state: 'pending' | 'approved' | 'refused' | 'expired';
  expiresAt: string;
};

/** What the activation page shows for the secret of its link (issue #14 finding 1). `totp` is the seed the person
 *  enrols in their authenticator app; it becomes theirs only once redeemActivation has confirmed a first code. */
export type ActivationView = {
  userId: string;
  accountName: string;
  credentials: Array<{ credentialID: string; keyAlgo: KeyAlgo }>;
  totp: { secret: string; otpauthUri: string } | null;
  expiresAt: string;
};

/** What the key signs for one authorized document digest (signatures/signDoc). `hash` is hash(DTBS/R) under the
 *  signing hash algorithm. When the DTBS/R is CMS signed attributes whose messageDigest must be the authorized digest
 *  (CAdES; PAdES from a digest), `cmsSignedAttributes` carries their DER: the SAM then recomputes `hash` from it and
 *  checks the messageDigest itself, so that it does not have to trust the service for that binding. */
export type SignInput = { hash: Uint8Array; cmsSignedAttributes?: Uint8Array };

export interface SignatureActivation {
  /** Generates a key pair in the token, has the configured CA certify it, and binds the credential to it. */
  createCredential(cmd: {
    ctx: RequestContext;
    credentialID: string;
    ownerId: string;
    algo: KeyAlgo;
    /** Restricts RSA keys to RSASSA-PSS (credential:create --algo PS256). */
    pssOnly?: boolean;
    /** Absent: the credential has no PIN until its owner chooses one through an activation link (issueActivation);
     *  it cannot be activated before. Production admin APIs never pass one (issue #14 finding 1). */
    pin?: string;
    /** `organization` for an e-seal: the certificate names the legal person (sam/ca/names.ts). */
    subject: { commonName: string; email?: string; organization?: string };
    /** Default totp. */
    otpChannel?: OtpChannel;
    /** Default inline. */
    approval?: Approval;
    /** Kept and enforced by the SAM from now on (issue #14 finding 4). */
    scal: Scal;
    /** Most signatures one authorization may cover; enforced by the SAM. */
    multisign: number;
    /** A one-time credential (CSC v2.2 credentials/create): the SAM deletes it once an authorization of it has been
     *  spent by signHash, or when its certificate has expired. */
    oneTime?: boolean;
    /** Lifetime of the certificate in seconds instead of the CA's default (a one-time credential's). */
    validitySeconds?: number;
    /** The certificate policy OID the certificate must be issued under (CSC v2.2 credentialCreationRequest
     *  .certificatePolicy): named alone in its certificatePolicies extension. SAM_CREDENTIAL_POLICY_INVALID, before
     *  any key is made, unless the CA issues under it (CA_CERTIFICATE_POLICIES). Absent: no policy. */
    certificatePolicy?: string;
    /** 'csc': asked for by its owner through CSC v2.2 credentials/create, audited by the SAM as credential.create
     *  (the admin API audits its own action). */
    origin?: 'csc';
  }): Promise<{ publicKeySpki: Uint8Array; certificates: Uint8Array[] }>;

  /** CSC v2.2 credentials/delete: destroys the key pair in the token, removes the binding (with its SADs, challenges
   *  and approvals) and audits it as credential.delete. SAM_CREDENTIAL_UNKNOWN for an id that is not (or no longer)
   *  bound; with `ownerId`, SAM_NOT_OWNER unless it is the credential's owner. */
  deleteCredential(cmd: { ctx: RequestContext; credentialID: string; ownerId?: string }): Promise<{ destroyedObjects: number }>;

  /** PKCS#10 request signed by the credential's key, for an external CA (issue #2 §6). */
  createCsr(cmd: { ctx: RequestContext; credentialID: string; subject?: { commonName: string; email?: string; organization?: string } }): Promise<{ csr: Uint8Array }>;

  /** Binds a chain issued elsewhere (end-entity first). Refused unless the end-entity key is the credential's key
   *  and each certificate is signed by the next. */
  installCertificates(cmd: { ctx: RequestContext; credentialID: string; certificates: Uint8Array[] }): Promise<{ notBefore: string; notAfter: string }>;

  setEnabled(cmd: { ctx: RequestContext; credentialID: string; enabled: boolean }): Promise<void>;
  unlock(cmd: { ctx: RequestContext; credentialID: string }): Promise<void>;
  state(credentialIDs: string[]): Promise<CredentialState[]>;

  /** Creates (or replaces) the user's TOTP seed; the seed is kept encrypted under a key that never leaves the HSM. */
  enrollOtp(cmd: { ctx: RequestContext; userId: string; accountName: string }): Promise<{ secret: string; otpauthUri: string }>;

  /** Checks the factors and mints a SAD bound to signer, client, credential and the exact hashes (DESIGN §2.2). */
  activate(cmd: {
    ctx: RequestContext;
    userId: string;
    clientId: string;
    credentialID: string;
    numSignatures: number;
    hashes?: Uint8Array[];
    hashAlgorithmOID?: string;
    factors: Factors;
  }): Promise<{ sad: string; expiresIn: number }>;

  /** Verifies the SAD and every rule of DESIGN §2.3, consumes it atomically, signs, verifies, audits. */
  signHash(cmd: {
    ctx: RequestContext;
    sad: string;
    userId: string;
    clientId: string;
    credentialID: string;
    hashes: Uint8Array[];
    hashAlgorithmOID?: string;
    signAlgo: string;
    signAlgoParams?: Uint8Array;
    /** signatures/signDoc (CSC v2 §11.11): the SAD is checked against `hashes` (the document digests the user
     *  approved) exactly as for signHash, but the key signs these instead: one per hash, same order, each the hash of
     *  the DTBS/R the service built around that document. Audited next to `hashes`. */
    signInputs?: SignInput[];
  }): Promise<{ signatures: Uint8Array[] }>;

  /** CSC v2 §11.8 out of band: generates a one-time password for the credential, keeps only its hash, and hands it
   *  to the notifier of the credential's channel. Bounded per credential and window. */
  getChallenge(cmd: { ctx: RequestContext; userId: string; clientId: string; credentialID: string; recipient: Recipient }): Promise<{
    channel: 'email' | 'sms';
    expiresIn: number;
  }>;

  /** CSC v2 §11.9: a new SAD for what an unexpired one still authorizes (the listed hashes must be among those it
   *  still covers), same signer, client and credential; the old SAD is superseded (revoked) in the same step. */
  extendTransaction(cmd: {
    ctx: RequestContext;
    sad: string;
    userId: string;
    clientId: string;
    credentialID: string;
    hashes?: Uint8Array[];
    hashAlgorithmOID?: string;
  }): Promise<{ sad: string; expiresIn: number }>;

  /** CSC v2 §11.6 answered 202: records the request (hashes bound as in activate), sends the person a link to the
   *  approval page, and returns the handle the application polls with. */
  requestApproval(cmd: {
    ctx: RequestContext;
    userId: string;
    clientId: string;
    credentialID: string;
    numSignatures: number;
    hashes?: Uint8Array[];
    hashAlgorithmOID?: string;
    description?: string;
    recipient: Recipient;
    /** The page's URL without the secret, e.g. https://sign.example.org/approve/ */
    linkBase: string;
  }): Promise<{ handle: string; expiresIn: number }>;

  /** CSC v2 §11.7: pending, or the SAD once (after approval); throws after expiry or refusal. */
  checkApproval(cmd: { ctx: RequestContext; handle: string; userId: string; clientId: string }): Promise<
    { status: 'pending' } | { status: 'approved'; sad: string; expiresIn: number }
  >;

  /** What the approval page shows for the secret of its link; null when the link is unknown. */
  approvalView(cmd: { link: string }): Promise<ApprovalView | null>;

  /** The person's decision on the page: approve with the credential's factors, or refuse. */
  decideApproval(cmd: { ctx: RequestContext; link: string; approve: boolean; factors: Factors }): Promise<{ state: 'approved' | 'refused' }>;

  /** Self-service activation (issue #14 finding 1): a single-use link, valid `ACTIVATION_LINK_HOURS`, sent to the
   *  person's registered address by the SAM's notifier. The secret is never returned: the caller (the admin) learns
   *  only where it went and until when it is valid. Covers the listed credentials of the user (all must be theirs). */
  issueActivation(cmd: {
    ctx: RequestContext;
    userId: string;
    credentialIDs: string[];
    accountName: string;
    recipient: Recipient;
    /** The page's URL without the secret, e.g. https://sign.example.org/activate/ */
    linkBase: string;
  }): Promise<{ channel: 'email' | 'sms'; to: string; expiresAt: string }>;

  /** What the activation page shows; null when the link is unknown, used or expired (one answer for all three). */
  activationView(cmd: { token: string }): Promise<ActivationView | null>;

  /** The person's choice on the page: the PIN of every covered credential, and the first code of the offered TOTP
   *  seed. Checked and stored by the SAM; the link is spent in the same transaction. */
  redeemActivation(cmd: { ctx: RequestContext; token: string; pin: string; otp?: string }): Promise<{ credentialIDs: string[]; otpEnrolled: boolean }>;

  /** Revokes every unexpired SAD of the user minted through the client: its session (token) was revoked. */
  revokeSads(cmd: { ctx: RequestContext; userId: string; clientId: string }): Promise<{ revoked: number }>;

  /** DER certificate of the CA that certifies new credentials (development CA under embedded defaults). */
  caCertificate(): Promise<Uint8Array>;

  /** DER CertificateList (RFC 5280 §5) of that CA, signed by its key and re-signed before its nextUpdate: the
   *  revocation data of AdES-B-LT signatures (CSC v2 §11.11). It covers the credentials' and the SAM TSA's
   *  certificates, both issued by that CA. */
  crl(): Promise<Uint8Array>;

  /** Encrypts a secret of the authorization server (its signing JWK, a cookie key) under an AES key that never
   *  leaves the HSM, bound to the row it is stored in (`kid`, `use`): a reader of authz.oauth_keys learns nothing, and
   *  a blob moved to another row does not open (issue #14 finding 7). */
  sealAuthzSecret(cmd: AuthzSecretRef & { plaintext: Uint8Array }): Promise<SealedAuthzSecret>;

  /** The plaintext of a blob sealAuthzSecret made for this very row; SAM_AUTHZ_SECRET_INVALID for anything else. */
  openAuthzSecret(cmd: AuthzSecretRef & { sealed: string }): Promise<{ plaintext: Uint8Array }>;

  /** CSC v2 §11.13: an RFC 3161 TimeStampToken (as updated by RFC 5816) over `hash`, made by the SAM's own TSA (its
   *  key in the HSM) or by the external TSA of TSA_URL, checked before it is returned and audited. `nonce` is hex
   *  and comes back inside the token. */
  timestamp(cmd: { ctx: RequestContext; userId: string; clientId: string; hash: Uint8Array; hashAlgorithmOID: string; nonce?: string }): Promise<{
    timestamp: Uint8Array;
  }>;
}

/** The row a secret of the authorization server belongs to; the seal binds it as associated data. */
export type AuthzSecretRef = { kid: string; use: 'sig' | 'cookie' };

export type SealedAuthzSecret = {
  sealed: string;
  /** Names the token whose key sealed it. SAMs on one token share a scope; a second token pointed at the same
   *  database (another DATA_DIR, parallel test servers) has its own, and its rows are not this one's to open. */
  scope: string;
  /** True for the one call that created the wrap key in the HSM: the moment when rows written before sealing
   *  existed may be sealed as they stand. The HSM decides, not the database, so a plaintext row written later is
   *  never taken for an old one. */
  keyCreated: boolean;
};

/** Every method of the port, for what wraps or serves all of them (metrics, the split-mode client). A method added
 *  to the interface and not here does not compile. */
export const SAM_PORT_METHODS = [
  'createCredential', 'deleteCredential', 'createCsr', 'installCertificates', 'setEnabled', 'unlock', 'state', 'enrollOtp', 'activate', 'signHash',
  'getChallenge', 'extendTransaction', 'requestApproval', 'checkApproval', 'approvalView', 'decideApproval', 'revokeSads', 'caCertificate', 'crl',
  'issueActivation', 'activationView', 'redeemActivation', 'sealAuthzSecret', 'openAuthzSecret', 'timestamp',
] as const satisfies ReadonlyArray<keyof SignatureActivation>;

type Missing = Exclude<keyof SignatureActivation, (typeof SAM_PORT_METHODS)[number]>;
const _everyMethodListed: Missing extends never ? true : Missing = true;
void _everyMethodListed;
