// Factor verification at activation (DESIGN §2.1), the SAM's half of sole control: a knowledge factor (the
// credential's PIN, scrypt-hashed) and a possession factor (TOTP from a seed held encrypted under an HSM key).
//
// Lockout per credential and factor (issue #4 item 4): the PIN and the one-time password (TOTP, or a code sent
// by credentials/getChallenge) each have a counter of consecutive failures. Each factor's attempt is counted
// before that factor is checked (reserveAttempt) and only while fewer than maxFailures of it are on record, so
// even parallel guesses get at most maxFailures checks of each factor. A wrong answer keeps its count and locks
// the credential when that factor's count reaches maxFailures; the attempt that reaches it still answers with
// its factor error, the next one is refused as locked.
//
// Decision: a right factor in an activation that fails on the other one takes its own reservation back but does
// not reset its counter; only a whole successful activation (both factors right: sole control shown) resets both.
// A counter thus only falls when the signer has proved everything, never by half of the proof, which is the
// conservative reading of "consecutive failures" and keeps the rule the same for PIN and OTP.
//
// Timing: a refusal for a wrong factor waits out a floor (FACTOR_FAILURE_FLOOR_MS) from the start of the checks, so
// that a wrong PIN and a right PIN with a wrong OTP answer alike.
import { isOrganisationOwner } from '../../../core/owner.ts';
import { SamError } from '../../../core/sam_port.ts';
import { verifySecret } from '../../../core/slow_hash.ts';
import type { Db } from '../../../core/db.ts';
import type { Hsm } from '../../hsm/hsm.ts';
import { confirmFailure, type Factor, releaseAttempt, reserveAttempt, resetFailures, type CredentialRecord } from '../../store/credentials.ts';
import { claimChallenge, liveChallenge } from '../../store/challenges.ts';
import { claimOtpStepAndReset, getOtpSeed, releaseUserOtpAttempt, reserveOtpAttempts } from '../../store/otp.ts';
import { hsmCall } from '../hsm_errors.ts';
import { OTP_WRAP_LABEL } from '../sad/sam_keys.ts';
import { matchTotp } from './totp.ts';

export type Amr = 'pwd' | 'otp';

export type FactorDeps = {
  db: Db;
  hsm: Hsm;
  now: () => Date;
  maxFailures: number;
  /** A refusal for a wrong factor is answered no sooner than this many milliseconds after the checks began. */
  failureFloorMs: number;
  /** Called when this failure locked the credential, so that the lockout gets its own audit row. */
  onLocked?: (failures: number, failed: 'pin' | 'otp') => Promise<void>;
};

/** The possession factor to check: a TOTP seed, or the latest code sent by credentials/getChallenge. */
type OtpFactor = { seedEnc: Uint8Array } | { sent: true };

/**
 * Whether the credential's possession factor is an authenticator app (TOTP). An organisation's SCAL 1 seal has
 * none: one PIN activation covers its batch (sam/app/seal_batch.ts, CSC v2 §8.5.3) and credentials/info announces
 * the PIN alone, even when the organisation has enrolled a TOTP seed for its SCAL 2 seals.
 */
export function usesTotp(cred: Pick<CredentialRecord, 'otpChannel' | 'ownerId' | 'scal'>): boolean {
  return cred.otpChannel === 'totp' && !(isOrganisationOwner(cred.ownerId) && cred.scal === '1');
}

/** Which factors this activation needs, refused before any attempt is counted when one is missing. */
export async function requiredFactors(
  deps: FactorDeps,
  cred: CredentialRecord,
  userId: string,
  given: { pin?: string; otp?: string },
): Promise<{ pin: boolean; otp: OtpFactor | null }> {
  // The SCAL is the SAM's own record of the credential, never the caller's word (issue #14 finding 4).
  const { scal } = cred;
  // A credential created without a PIN waits for its owner to choose one through an activation link (issue #14
  // finding 1); until then it is not activatable at any SCAL, not even by the possession factor alone.
  if (cred.pinPending !== false) throw new SamError('SAM_FACTORS_MISSING', 'credential has no PIN yet (activation link not redeemed)');
  if (cred.otpChannel !== 'totp') {
    // The possession factor is a code sent out of band (CSC v2 §11.8): the phone or mailbox that received it.
    if (scal === '2' && !cred.pinHash) throw new SamError('SAM_FACTORS_MISSING', 'credential has no PIN');
    if (cred.pinHash && !given.pin) throw new SamError('SAM_FACTORS_MISSING', 'PIN required');
    if (!given.otp) throw new SamError('SAM_FACTORS_MISSING', 'OTP required');
    return { pin: cred.pinHash !== null, otp: { sent: true } };
  }
  const otp = usesTotp(cred) ? await getOtpSeed(deps.db, userId) : null;
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
  const id = cred.credentialId;
  const started = performance.now();
  const reserved: Factor[] = [];
  const releaseAll = async () => {
    for (const f of reserved.splice(0)) await releaseAttempt(db, id, f);
  };
  const reserve = async (factor: Factor) => {
    if (await reserveAttempt(db, id, factor, maxFailures)) {
      reserved.push(factor);
      return;
    }
    await releaseAll(); // the factors already found right are not failures
    throw new SamError('SAM_CREDENTIAL_LOCKED');
  };
  /** `factor` was wrong: its attempt stays counted, the others' are taken back. */
  const failed = async (factor: Factor, verdict: SamError): Promise<never> => {
    reserved.splice(reserved.indexOf(factor), 1);
    await releaseAll();
    const { failures, locked } = await confirmFailure(db, id, factor, maxFailures, deps.now());
    if (locked) await deps.onLocked?.(failures, factor);
    // A wrong OTP is found after the PIN's scrypt, an HSM call and more queries; a wrong PIN before them. Both end
    // at the same floor, so the time of a refusal does not tell which factor was wrong (issue #14 finding 7).
    const left = deps.failureFloorMs - (performance.now() - started);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    throw verdict;
  };

  // PIN first: a wrong PIN must not spend the user's current OTP time step.
  if (required.pin) {
    await reserve('pin');
    const ok = await judged(() => verifySecret(given.pin ?? '', cred.pinHash ?? ''), releaseAll);
    if (!ok) await failed('pin', new SamError('SAM_PIN_INVALID'));
  }
  // An authenticator app serves every credential of its user: its codes are also counted per user, so that
  // spreading guesses over several credentials gains nothing (issue #14 finding 7). A wrong code keeps both counts.
  const perUser = required.otp !== null && 'seedEnc' in required.otp;
  if (required.otp) {
    if (perUser) {
      // Both counters in one round trip; the user's is reserved only when the credential's was.
      const slot = await reserveOtpAttempts(db, id, userId, maxFailures);
      if (slot.credential) reserved.push('otp');
      if (!slot.credential || !slot.user) {
        await releaseAll();
        throw slot.credential
          ? new SamError('SAM_CREDENTIAL_LOCKED', "too many wrong one-time passwords for this user's authenticator")
          : new SamError('SAM_CREDENTIAL_LOCKED');
      }
    } else {
      await reserve('otp');
    }
    const releaseAttempts = async () => {
      await releaseAll();
      if (perUser) await releaseUserOtpAttempt(db, userId);
    };
    const verdict = await judged(() => judgeOtp(deps, cred, userId, given.otp ?? '', required.otp!), releaseAttempts);
    if ('refusal' in verdict) return failed('otp', verdict.refusal);
    const step = verdict.step;
    if (step !== null) {
      // The TOTP step is claimed together with the resets of a successful activation: one statement, and a step
      // already used (a replay, or a parallel request that won it) resets nothing and counts as an OTP failure.
      const claimed = await judged(() => claimOtpStepAndReset(db, id, userId, step), releaseAttempts);
      if (!claimed) await failed('otp', new SamError('SAM_OTP_REUSED'));
      return amrOf(required);
    }
  }
  await resetFailures(db, id);
  return amrOf(required);
}

function amrOf(required: { pin: boolean; otp: OtpFactor | null }): Amr[] {
  const amr: Amr[] = [];
  if (required.pin) amr.push('pwd');
  if (required.otp) amr.push('otp');
  return amr;
}

/** A check that could not be judged (HSM or database trouble) does not count: the reservations are taken back,
 *  so that an outage cannot lock credentials. */
async function judged<T>(check: () => Promise<T>, releaseAll: () => Promise<void>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    await releaseAll();
    throw err;
  }
}

/** The one-time password's verdict: the refusal to count (as an OTP failure) and answer, or right — for an
 *  authenticator app with its time step still to claim (checkFactors claims it with the resets), for a code sent
 *  out of band already claimed (step null). */
type OtpVerdict = { refusal: SamError } | { step: number | null };

async function judgeOtp(deps: FactorDeps, cred: CredentialRecord, userId: string, otp: string, factor: OtpFactor): Promise<OtpVerdict> {
  if ('sent' in factor) {
    // Only the latest unexpired, unused code counts; claiming it is a conditional UPDATE, so it works once.
    const live = await liveChallenge(deps.db, cred.credentialId, deps.now());
    if (!live || !(await verifySecret(otp, live.codeHash))) return { refusal: new SamError('SAM_OTP_INVALID') };
    if (!(await claimChallenge(deps.db, live.id, deps.now()))) return { refusal: new SamError('SAM_OTP_REUSED') };
    return { step: null };
  }
  const seed = await hsmCall(() => deps.hsm.decrypt(OTP_WRAP_LABEL, factor.seedEnc, Buffer.from(userId, 'utf8')));
  const step = await matchTotp(seed, otp, deps.now());
  if (step === null) return { refusal: new SamError('SAM_OTP_INVALID') };
  return { step };
}
