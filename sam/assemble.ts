// The Signature Activation Module (DESIGN §2, §5) on an HSM it is given: the only part that holds key handles,
// factors and SADs. createSamOnHsm ensures the SAM's own keys in the HSM, then serves the SignatureActivation port
// in-process; the SAM's HTTP server (sam/http/server.ts) wraps the same object. The front door (sam/index.ts)
// opens the token and calls this; tests call it with a SoftHSM token of their own.
import { randomUUID } from 'node:crypto';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db.ts';
import type { Logger } from '../core/log.ts';
import type { SignatureActivation } from '../core/sam_port.ts';
import { SCRYPT_DEFAULTS } from '../core/slow_hash.ts';
import { ensureDevCa, type CertificateAuthority } from './ca/dev_ca.ts';
import type { Hsm } from './hsm/hsm.ts';
import { activate } from './app/activate.ts';
import { createCredential } from './app/create_credential.ts';
import { deleteCredential, purgeExpiredOneTime } from './app/delete_credential.ts';
import type { SamDeps } from './app/deps.ts';
import { enrollOtp } from './app/enroll_otp.ts';
import { createCsr, installCertificates, setEnabled, state, unlock } from './app/manage_credential.ts';
import { ensureSamKeys } from './app/sad/sam_keys.ts';
import { ensureCredentialSeal } from './app/credential_seal.ts';
import { revokeSads } from './app/revoke_sads.ts';
import { signHash } from './app/sign_hash.ts';
import { DEFAULT_OTP_CHALLENGE_POLICY, getChallenge } from './app/challenge.ts';
import { DEFAULT_MAX_TRANSACTION_SECONDS, extendTransaction } from './app/extend_transaction.ts';
import { DEFAULT_SEAL_BATCH } from './app/seal_batch.ts';
import { approvalView, checkApproval, decideApproval, DEFAULT_APPROVAL_LIFETIME_SECONDS, requestApproval } from './app/async_approval.ts';
import { activationView, DEFAULT_ACTIVATION_LIFETIME_SECONDS, issueActivation, redeemActivation } from './app/activation_link.ts';
import { auditedOpen, authzSecrets } from './app/authz_secret.ts';
import { pgCaStore } from './store/ca_store.ts';
import type { Notifier } from './notify/notifier.ts';
import { timestamp } from './app/timestamp.ts';
import { RecentCredentials } from './app/signing/recent_credentials.ts';
import { openTsa } from './tsa/open_tsa.ts';
import type { Tsa } from './tsa/tsa.ts';

/** What assembling the SAM reads of its section: the token, the notifier and the audit trail are built by the door. */
export type SamCoreConfig = Omit<Config['sam'], 'notify' | 'audit'>;

type SamOptions = {
  db: Db;
  hsm: Hsm;
  config: SamCoreConfig;
  log: Logger;
  /** The CA that certifies new credentials. Absent: the development CA, its key in the HSM, its root in sam.ca. */
  ca?: CertificateAuthority;
  now?: () => Date;
  /** Out-of-band delivery of one-time passwords (CSC v2 §11.8). */
  notifier?: Notifier;
  /** The time-stamping authority (CSC v2 §11.13). Absent: as config.tsa says (sam/tsa/open_tsa.ts). */
  tsa?: Tsa;
};

export async function createSamOnHsm(deps: SamOptions): Promise<SignatureActivation> {
  return (await createSamPartsOnHsm(deps)).port;
}

/** The port, and the SAM's own periodic work: deleting one-time credentials whose certificate has expired (run by
 *  the purge timer of the process that holds the SAM, sam/index.ts). */
export async function createSamPartsOnHsm(deps: SamOptions): Promise<{ port: SignatureActivation; purgeExpiredOneTime(): Promise<number> }> {
  const now = deps.now ?? (() => new Date());
  const keys = await ensureSamKeys(deps.hsm);
  // The CA row is scoped to this token by the SAD key's thumbprint (see sam/store/ca_store.ts).
  const caOptions = { now, crlNextUpdateHours: deps.config.crlNextUpdateHours, crlUrl: deps.config.crlUrl, certificatePolicies: deps.config.certificatePolicies };
  const ca = deps.ca ?? (await ensureDevCa(deps.hsm, pgCaStore(deps.db, keys.sadKid), caOptions));
  const credentialSeal = await ensureCredentialSeal(deps.hsm, deps.db, deps.log);
  const tsa = deps.tsa ?? (await openTsa({ db: deps.db, hsm: deps.hsm, config: deps.config.tsa, ca, now }));
  const d: SamDeps = {
    db: deps.db,
    hsm: deps.hsm,
    log: deps.log,
    ca,
    keys,
    credentialSeal,
    recentCredentials: new RecentCredentials(),
    now,
    notifier: deps.notifier,
    config: {
      sadLifetimeSeconds: deps.config.sadLifetimeSeconds,
      maxFailures: deps.config.maxFailures,
      factorFailureFloorMs: deps.config.factorFailureFloorMs ?? 0,
      pinHash: { ...SCRYPT_DEFAULTS, N: 2 ** (deps.config.pinScryptLog2N ?? 15) },
      otpChallenge: deps.config.otpChallenge ?? DEFAULT_OTP_CHALLENGE_POLICY,
      sadMaxTransactionSeconds: deps.config.sadMaxTransactionSeconds ?? DEFAULT_MAX_TRANSACTION_SECONDS,
      sealBatch: deps.config.sealBatch ?? DEFAULT_SEAL_BATCH,
      approvalLifetimeSeconds: deps.config.approvalLifetimeSeconds ?? DEFAULT_APPROVAL_LIFETIME_SECONDS,
      activationLifetimeSeconds: deps.config.activationLifetimeSeconds ?? DEFAULT_ACTIVATION_LIFETIME_SECONDS,
    },
  };
  const secrets = authzSecrets(d);
  const port: SignatureActivation = {
    createCredential: (cmd) => createCredential(d, cmd),
    deleteCredential: (cmd) => deleteCredential(d, cmd),
    createCsr: (cmd) => createCsr(d, cmd),
    installCertificates: (cmd) => installCertificates(d, cmd),
    setEnabled: (cmd) => setEnabled(d, cmd),
    unlock: (cmd) => unlock(d, cmd),
    state: (ids) => state(d, ids),
    enrollOtp: (cmd) => enrollOtp(d, cmd),
    activate: (cmd) => activate(d, cmd),
    signHash: (cmd) => signHash(d, cmd),
    getChallenge: (cmd) => getChallenge(d, cmd),
    extendTransaction: (cmd) => extendTransaction(d, cmd),
    requestApproval: (cmd) => requestApproval(d, cmd),
    checkApproval: (cmd) => checkApproval(d, cmd),
    approvalView: (cmd) => approvalView(d, cmd),
    decideApproval: (cmd) => decideApproval(d, cmd),
    revokeSads: (cmd) => revokeSads(d, cmd),
    caCertificate: async () => ca.certificate,
    crl: () => ca.crl(),
    issueActivation: (cmd) => issueActivation(d, cmd),
    activationView: (cmd) => activationView(d, cmd),
    redeemActivation: (cmd) => redeemActivation(d, cmd),
    sealAuthzSecret: (cmd) => secrets.seal(cmd),
    openAuthzSecret: auditedOpen(d, secrets),
    timestamp: (cmd) => timestamp({ ...d, tsa }, cmd),
  };
  return { port, purgeExpiredOneTime: () => purgeExpiredOneTime(d, `purge-${randomUUID()}`) };
}
