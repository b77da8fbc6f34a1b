// Factor verification at activation (DESIGN §2.1), the SAM's half of sole control: a knowledge factor (the
// credential's PIN, scrypt-hashed) and a possession factor (TOTP from a seed held encrypted under an HSM key).
//
// Lockout: the attempt is counted before any factor is checked (reserveAttempt) and only while fewer than
// maxFailures are on record, so even parallel guesses get at most maxFailures checks. A right answer resets
// the count; a wrong one keeps it and locks the credential when it reaches maxFailures. The attempt that reaches
// the limit still answers with its factor error; the next one is refused as locked.
import { SamError } from '../../../core/sam_port.ts';
import { verifySecret } from '../../../core/slow_hash.ts';
import type { Db } from '../../../core/db.ts';
import type { Hsm } from '../../hsm/hsm.ts';
import { confirmFailure, releaseAttempt, reserveAttempt, resetFailures, type CredentialRecord } from '../../ledger/credentials.ts';
import { claimChallenge, liveChallenge } from '../../ledger/challenges.ts';
import { claimOtpStep, getOtpSeed } from '../../ledger/otp.ts';
import { hsmCall } from '../hsm_errors.ts';
import { OTP_WRAP_LABEL } from '../sad/sam_keys.ts';
import { matchTotp } from './totp.ts';

export type Amr = 'pwd' | 'otp';

export type FactorDeps = {
  db: Db;
  hsm: Hsm;
  now: () => Date;
  maxFailures: number;
  /** Called when this failure locked the credential, so that the lockout gets its own audit row. */
  onLocked?: (failures: number, failed: 'pin' | 'otp') => Promise<void>;
};

/** The possession factor to check: a TOTP seed, or the latest code sent by credentials/getChallenge. */
type OtpFactor = { seedEnc: Uint8Array } | { sent: true };

/** Which factors this activation needs, refused before any attempt is counted when one is missing. */
export async function requiredFactors(
  deps: FactorDeps,
  cred: CredentialRecord,
  userId: string,
  given: { pin?: string; otp?: string },
  scal: '1' | '2',
): Promise<{ pin: boolean; otp: OtpFactor | null }> {
  if (cred.otpChannel !== 'totp') {
    // The possession factor is a code sent out of band (CSC v2 §11.8): the phone or mailbox that received it.
    if (scal === '2' && !cred.pinHash) throw new SamError('SAM_FACTORS_MISSING', 'credential has no PIN');
    if (cred.pinHash && !given.pin) throw new SamError('SAM_FACTORS_MISSING', 'PIN required');
    if (!given.otp) throw new SamError('SAM_FACTORS_MISSING', 'OTP required');
    return { pin: cred.pinHash !== null, otp: { sent: true } };
  }
  const otp = await getOtpSeed(deps.db, userId);
  // SCAL2 means two factors (DESIGN §2): the possession factor must exist, and so must the PIN.
  if (scal === '2' && !otp) throw new SamError('SAM_OTP_NOT_ENROLLED');
  if (scal === '2' && !cred.pinHash) throw new SamError('SAM_FACTORS_MISSING', 'credential has no PIN');
  // Fail closed: an activation that checks nothing is not an activation.
  if (!cred.pinHash && !otp) throw new SamError('SAM_FACTORS_MISSING', 'no factor is set up');
  if (cred.pinHash && !given.pin) throw new SamError('SAM_FACTORS_MISSING', 'PIN required');
  if (otp && !given.otp) throw new SamError('SAM_FACTORS_MISSING', 'OTP required');
  return { pin: cred.pinHash !== null, otp: otp ? { seedEnc: otp.seedEnc } : null };
}

export async function checkFactors(
  deps: FactorDeps,
  cred: CredentialRecord,
  userId: string,
  given: { pin?: string; otp?: string },
  required: { pin: boolean; otp: OtpFactor | null },
): Promise<Amr[]> {
  const { db, maxFailures } = deps;
  if (!(await reserveAttempt(db, cred.credentialId, maxFailures, deps.now()))) throw new SamError('SAM_CREDENTIAL_LOCKED');
  let verdict: SamError | null;
  try {
    verdict = await judge(deps, cred, userId, given, required);
  } catch (err) {
    await releaseAttempt(db, cred.credentialId);
    throw err;
  }
  if (verdict) {
    const { failures, locked } = await confirmFailure(db, cred.credentialId, maxFailures, deps.now());
    if (locked) await deps.onLocked?.(failures, verdict.code === 'SAM_PIN_INVALID' ? 'pin' : 'otp');
    throw verdict;
  }
  await resetFailures(db, cred.credentialId);
  const amr: Amr[] = [];
  if (required.pin) amr.push('pwd');
  if (required.otp) amr.push('otp');
  return amr;
}

/** null when every required factor is right; otherwise the refusal to count and answer. PIN first: a wrong
 *  PIN must not spend the user's current OTP time step. */
async function judge(
  deps: FactorDeps,
  cred: CredentialRecord,
  userId: string,
  given: { pin?: string; otp?: string },
  required: { pin: boolean; otp: OtpFactor | null },
): Promise<SamError | null> {
  if (required.pin && !(await verifySecret(given.pin ?? '', cred.pinHash ?? ''))) return new SamError('SAM_PIN_INVALID');
  if (required.otp && 'sent' in required.otp) {
    // Only the latest unexpired, unused code counts; claiming it is a conditional UPDATE, so it works once.
    const live = await liveChallenge(deps.db, cred.credentialId, deps.now());
    if (!live || !(await verifySecret(given.otp ?? '', live.codeHash))) return new SamError('SAM_OTP_INVALID');
    if (!(await claimChallenge(deps.db, live.id, deps.now()))) return new SamError('SAM_OTP_REUSED');
  } else if (required.otp) {
    const seedEnc = required.otp.seedEnc;
    const seed = await hsmCall(() => deps.hsm.decrypt(OTP_WRAP_LABEL, seedEnc, Buffer.from(userId, 'utf8')));
    const step = await matchTotp(seed, given.otp ?? '', deps.now());
    if (step === null) return new SamError('SAM_OTP_INVALID');
    if (!(await claimOtpStep(deps.db, userId, step))) return new SamError('SAM_OTP_REUSED');
  }
  return null;
}
