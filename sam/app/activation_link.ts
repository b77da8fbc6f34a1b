// Self-service activation links (issue #14 finding 1, EN 419241-1 sole control): the operator only *issues* a link;
// the person it is sent to chooses the PIN of their credentials and enrols their own authenticator on the page it
// opens. The SAM generates the secret, keeps only its SHA-256, and hands the link to the notifier itself, so no
// caller — the admin API included — ever sees it. The TOTP seed offered on the page is generated here too, kept
// encrypted under the HSM's OTP key, and becomes the user's only after a first valid code from it.
//
// One answer (SAM_ACTIVATION_INVALID) for a link that is unknown, used, spent by wrong codes or expired: the page
// tells a guesser nothing about which links exist.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { generateURI, ScureBase32Plugin } from 'otplib';
import { tx } from '../../core/db.ts';
import { hashSecret } from '../../core/slow_hash.ts';
import { SamError, type ActivationView, type SignatureActivation } from '../../core/sam_port.ts';
import { auditFailure, writeAudit, type AuditDraft } from '../audit/audit_log.ts';
import {
  activationByToken,
  deleteActivation,
  insertActivation,
  releaseActivationAttempt,
  reserveActivationAttempt,
  setOwnersPin,
  spendActivation,
  type ActivationRecord,
} from '../store/activations.ts';
import { getCredentials } from '../store/credentials.ts';
import { upsertOtpSeed } from '../store/otp.ts';
import type { SamDeps } from './deps.ts';
import { OTP_ISSUER } from './enroll_otp.ts';
import { usesTotp } from './factors/check_factors.ts';
import { matchTotp, TOTP_DIGITS, TOTP_PERIOD } from './factors/totp.ts';
import { hsmCall } from './hsm_errors.ts';
import { OTP_WRAP_LABEL } from './sad/sam_keys.ts';

/** 24 hours (ACTIVATION_LINK_HOURS). */
export const DEFAULT_ACTIVATION_LIFETIME_SECONDS = 24 * 3600;
/** 256 bits: as unguessable as the SAD key's security level. */
const TOKEN_BYTES = 32;
const SEED_BYTES = 20;
/** The PIN is announced to clients as numeric, 4 to 16 digits (as admin/handlers.ts PIN_PATTERN). */
const PIN_PATTERN = /^[0-9]{4,16}$/;

const ISSUE_EVENT = 'activation.issue' as AuditDraft['event'];
const REDEEM_EVENT = 'activation.redeem' as AuditDraft['event'];

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const aad = (userId: string) => Buffer.from(userId, 'utf8');

type IssueCmd = Parameters<SignatureActivation['issueActivation']>[0];

export async function issueActivation(deps: SamDeps, cmd: IssueCmd): Promise<{ channel: 'email' | 'sms'; to: string; expiresAt: string }> {
  const draft: AuditDraft = { event: ISSUE_EVENT, ctx: cmd.ctx, userId: cmd.userId, detail: { credentialIDs: cmd.credentialIDs } };
  try {
    const ids = [...new Set(cmd.credentialIDs)];
    if (ids.length === 0) throw new SamError('SAM_ACTIVATION_NOTHING_TO_ACTIVATE', 'no credential');
    const creds = await getCredentials(deps.db, deps.credentialSeal, ids);
    if (creds.length !== ids.length) throw new SamError('SAM_CREDENTIAL_UNKNOWN');
    if (creds.some((c) => c.ownerId !== cmd.userId)) throw new SamError('SAM_NOT_OWNER');
    const channel: 'email' | 'sms' | null = cmd.recipient.email ? 'email' : cmd.recipient.phone ? 'sms' : null;
    const to = cmd.recipient.email ?? cmd.recipient.phone;
    if (!channel || !to) throw new SamError('SAM_NO_RECIPIENT', 'no e-mail address or phone number');
    if (!deps.notifier) throw new SamError('SAM_NOTIFY_FAILED', 'no notifier configured');

    // An authenticator to enrol only when a covered credential takes its one-time password from one.
    const wantsTotp = creds.some(usesTotp);
    const seedEnc = wantsTotp ? await hsmCall(() => deps.hsm.encrypt(OTP_WRAP_LABEL, randomBytes(SEED_BYTES), aad(cmd.userId))) : null;
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const now = deps.now();
    const lifetime = deps.config.activationLifetimeSeconds;
    const expiresAt = new Date(now.getTime() + lifetime * 1000);
    const id = await insertActivation(deps.db, { tokenHash: sha256(token), userId: cmd.userId, accountName: cmd.accountName, credentialIds: ids, seedEnc, createdAt: now, expiresAt });
    const url = `${cmd.linkBase}${token}`;
    const hours = Math.max(1, Math.round(lifetime / 3600));
    try {
      await deps.notifier.send({
        channel,
        to,
        username: cmd.recipient.username,
        subject: 'Activate your signing credential',
        text: [
          `Your signing credential is ready. Open ${url} to choose your PIN${wantsTotp ? ' and set up your authenticator app' : ''}.`,
          `The link works once and expires in ${hours} hour${hours === 1 ? '' : 's'}. Nobody else, your administrator included, has it: do not share it.`,
        ].join('\n'),
      });
    } catch (err) {
      deps.log.warn({ event: 'sam.activation.undelivered', userId: cmd.userId, channel, err: (err as Error).message }, 'activation link not delivered');
      await deleteActivation(deps.db, id);
      throw new SamError('SAM_NOTIFY_FAILED', 'activation link');
    }
    await writeAudit(deps.db, { ...draft, detail: { credentialIDs: ids, channel, expiresAt: expiresAt.toISOString(), totp: wantsTotp } }, 'ok');
    deps.log.info({ event: 'sam.activation.issue', userId: cmd.userId, channel, requestId: cmd.ctx.requestId }, 'activation link sent');
    return { channel, to, expiresAt: expiresAt.toISOString() };
  } catch (err) {
    await auditFailure(deps.db, deps.log, draft, err);
    throw err;
  }
}

/** The row of `token` when its link may still be used. The row was found by the SHA-256 of the secret (an index
 *  lookup, which can leak at most something about a digest, never about the secret); the digests are compared again
 *  here in constant time so that nothing but an exact match ever passes. */
async function findOpen(deps: SamDeps, token: string): Promise<{ found: ActivationRecord | null; row: ActivationRecord | null }> {
  const digest = sha256(token);
  const hit = await activationByToken(deps.db, digest);
  const found = hit && hit.tokenHash.length === digest.length && timingSafeEqual(hit.tokenHash, digest) ? hit : null;
  return { found, row: open(found, deps) };
}

function open(row: ActivationRecord | null, deps: SamDeps): ActivationRecord | null {
  if (!row || row.usedAt || row.expiresAt.getTime() <= deps.now().getTime() || row.failures >= deps.config.maxFailures) return null;
  return row;
}

export async function activationView(deps: SamDeps, cmd: { token: string }): Promise<ActivationView | null> {
  const { row } = await findOpen(deps, cmd.token);
  if (!row) return null;
  const creds = await getCredentials(deps.db, deps.credentialSeal, row.credentialIds);
  let totp: ActivationView['totp'] = null;
  if (row.seedEnc) {
    const seed = await hsmCall(() => deps.hsm.decrypt(OTP_WRAP_LABEL, row.seedEnc!, aad(row.userId)));
    const secret = new ScureBase32Plugin().encode(seed);
    totp = { secret, otpauthUri: generateURI({ issuer: OTP_ISSUER, label: row.accountName, secret, digits: TOTP_DIGITS, period: TOTP_PERIOD }) };
  }
  return {
    userId: row.userId,
    accountName: row.accountName,
    credentials: row.credentialIds.flatMap((id) => {
      const c = creds.find((x) => x.credentialId === id);
      return c ? [{ credentialID: id, keyAlgo: c.keyAlgo }] : [];
    }),
    totp,
    expiresAt: row.expiresAt.toISOString(),
  };
}

type RedeemCmd = Parameters<SignatureActivation['redeemActivation']>[0];

export async function redeemActivation(deps: SamDeps, cmd: RedeemCmd): Promise<{ credentialIDs: string[]; otpEnrolled: boolean }> {
  const draft: AuditDraft = { event: REDEEM_EVENT, ctx: cmd.ctx };
  try {
    const { found, row } = await findOpen(deps, cmd.token);
    // The trail names the user of a used or expired link too; the caller is told nothing of it.
    if (found) {
      draft.userId = found.userId;
      draft.detail = { credentialIDs: found.credentialIds };
    }
    if (!row) throw new SamError('SAM_ACTIVATION_INVALID');
    if (!PIN_PATTERN.test(cmd.pin)) throw new SamError('SAM_PIN_FORMAT', '4 to 16 digits');
    let step: number | null = null;
    if (row.seedEnc) {
      if (!cmd.otp) throw new SamError('SAM_FACTORS_MISSING', 'the first code of the authenticator is required');
      if (!(await reserveActivationAttempt(deps.db, row.id, deps.config.maxFailures, deps.now()))) throw new SamError('SAM_ACTIVATION_INVALID');
      let seed: Uint8Array;
      try {
        seed = await hsmCall(() => deps.hsm.decrypt(OTP_WRAP_LABEL, row.seedEnc!, aad(row.userId)));
      } catch (err) {
        await releaseActivationAttempt(deps.db, row.id);
        throw err;
      }
      step = await matchTotp(seed, cmd.otp, deps.now());
      // A wrong code stays counted: MAX_FACTOR_FAILURES of them spend the link.
      if (step === null) throw new SamError('SAM_OTP_INVALID');
    }
    const pinHash = await hashSecret(cmd.pin, deps.config.pinHash);
    await tx(deps.db, async (c) => {
      if (!(await spendActivation(c, row.id, deps.now()))) throw new SamError('SAM_ACTIVATION_INVALID');
      await setOwnersPin(c, deps.credentialSeal, row.userId, row.credentialIds, pinHash);
      if (row.seedEnc) {
        await upsertOtpSeed(c, row.userId, row.seedEnc);
        // The confirmation code is spent like any other (RFC 6238 §5.2): it cannot also activate a signature.
        await c.query('UPDATE sam.otp SET last_step = $2, failures = 0 WHERE user_id = $1', [row.userId, step]);
      }
      await writeAudit(c, { ...draft, detail: { credentialIDs: row.credentialIds, totp: row.seedEnc !== null } }, 'ok');
    });
    deps.log.info({ event: 'sam.activation.redeem', userId: row.userId, requestId: cmd.ctx.requestId }, 'activation link redeemed');
    return { credentialIDs: row.credentialIds, otpEnrolled: row.seedEnc !== null };
  } catch (err) {
    await auditFailure(deps.db, deps.log, draft, err);
    throw err;
  }
}
