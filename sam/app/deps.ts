// What every SAM use case runs on. Built once by createSamPartsOnHsm (sam/assemble.ts).
import type { Db } from '../../core/db.ts';
import type { Logger } from '../../core/log.ts';
import type { ScryptParams } from '../../core/slow_hash.ts';
import type { CertificateAuthority } from '../ca/dev_ca.ts';
import type { Hsm } from '../hsm/hsm.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { CredentialSeal } from '../store/credentials.ts';
import type { SamKeys } from './sad/sam_keys.ts';
import type { RecentCredentials } from './signing/recent_credentials.ts';

export type SamDeps = {
  db: Db;
  hsm: Hsm;
  log: Logger;
  ca: CertificateAuthority;
  keys: SamKeys;
  /** Checks and makes the seal of credential rows (sam/app/credential_seal.ts). */
  credentialSeal: CredentialSeal;
  /** Credential rows seen with a valid seal, for signHash's one-statement path (sam/app/signing/recent_credentials.ts). */
  recentCredentials: RecentCredentials;
  now: () => Date;
  /** Out-of-band delivery (CSC v2 §11.8); absent, getChallenge answers SAM_NOTIFY_FAILED. */
  notifier?: Notifier;
  config: {
    sadLifetimeSeconds: number;
    maxFailures: number;
    /** Least duration of an activation refused for a wrong PIN or OTP (same timing whichever was wrong). */
    factorFailureFloorMs: number;
    /** scrypt cost of new PIN hashes (core/slow_hash.ts). */
    pinHash: ScryptParams;
    otpChallenge: OtpChallengePolicy;
    /** Longest a transaction may be extended to, from its first authorization (CSC v2 §11.9). */
    sadMaxTransactionSeconds: number;
    /** SCAL 1 e-seal batches: most signatures and seconds of one activation (sam/app/seal_batch.ts). */
    sealBatch: { maxSignatures: number; seconds: number };
    /** Seconds a pending asynchronous authorization waits for the person (CSC v2 §11.7). */
    approvalLifetimeSeconds: number;
    /** Seconds an activation link stays valid (ACTIVATION_LINK_HOURS, issue #14 finding 1). */
    activationLifetimeSeconds: number;
  };
};

export type OtpChallengePolicy = {
  /** Digits of a sent code, 6 to 8. */
  digits: number;
  lifetimeSeconds: number;
  /** Challenges per credential within windowSeconds. */
  max: number;
  windowSeconds: number;
};
