// credentials/getChallenge in the SAM (CSC v2 §11.8, out-of-band variant answered with 204): for a credential
// whose possession factor is a code sent by e-mail or SMS, generate the code here, keep only its slow hash, and
// hand it to the notifier of the credential's channel. The code is then checked like any other factor at
// activation (factors/check_factors.ts): valid OTP_LIFETIME_SECONDS, once, and only the latest one sent.
//
// Rate limit: at most `max` challenges per credential per window, counted in PostgreSQL under the credential's
// row lock, so parallel requests and other instances cannot overshoot. A request beyond the limit is refused
// with the seconds until a slot frees (429 with Retry-After on the wire) and sends nothing.
//
// The lock covers the count and the reservation only, never the sending (a slow SMTP server must not hold up the
// activations of the credential, which take the same row): reserve, commit, send, then mark the code delivered
// — only then can it be used, and it supersedes the codes delivered before it. A failed send deletes the
// reservation.
import { randomInt } from 'node:crypto';
import { tx } from '../../core/db.ts';
import { hashSecret } from '../../core/slow_hash.ts';
import { SamError, type SignatureActivation } from '../../core/sam_port.ts';
import { auditFailure, writeAudit, type AuditDraft } from '../audit/audit_log.ts';
import { challengesSince, dropChallenge, lockCredentialForChallenge, markDelivered, reserveChallenge } from '../store/challenges.ts';
import { getCredential } from '../store/credentials.ts';
import type { OutboundMessage } from '../notify/notifier.ts';
import { requireEnabled, requireOwnedBy, requireUnlocked } from './checks/credential.ts';
import type { OtpChallengePolicy, SamDeps } from './deps.ts';

type ChallengeCmd = Parameters<SignatureActivation['getChallenge']>[0];

export const DEFAULT_OTP_CHALLENGE_POLICY: OtpChallengePolicy = { digits: 6, lifetimeSeconds: 300, max: 5, windowSeconds: 7200 };

/** The audit event of a challenge sent (issue #4 §5 "challenge sent"); the 003 migration admits it. */
const CHALLENGE_EVENT = 'challenge' as AuditDraft['event'];

export async function getChallenge(deps: SamDeps, cmd: ChallengeCmd): Promise<{ channel: 'email' | 'sms'; expiresIn: number }> {
  const draft: AuditDraft = { event: CHALLENGE_EVENT, ctx: cmd.ctx, userId: cmd.userId, clientId: cmd.clientId, credentialId: cmd.credentialID };
  const policy = deps.config.otpChallenge;
  try {
    const cred = requireOwnedBy(await getCredential(deps.db, deps.credentialSeal, cmd.credentialID), cmd.userId);
    requireEnabled(cred);
    // A locked credential cannot be activated: sending it codes would only spend the person's patience.
    requireUnlocked(cred);
    if (cred.otpChannel === 'totp') throw new SamError('SAM_CHALLENGE_NOT_APPLICABLE');
    const channel = cred.otpChannel;
    const to = channel === 'email' ? cmd.recipient.email : cmd.recipient.phone;
    if (!to) throw new SamError('SAM_NO_RECIPIENT', `no ${channel === 'email' ? 'e-mail address' : 'phone number'}`);
    const notifier = deps.notifier;
    if (!notifier) throw new SamError('SAM_NOTIFY_FAILED', 'no notifier configured');

    const code = newCode(policy.digits);
    const codeHash = await hashSecret(code); // scrypt: before the lock, not under it
    const id = await tx(deps.db, async (c) => {
      await lockCredentialForChallenge(c, cred.credentialId);
      const now = deps.now();
      const recent = await challengesSince(c, cred.credentialId, new Date(now.getTime() - policy.windowSeconds * 1000));
      if (recent.length >= policy.max) {
        // The slot that frees first is the one of the challenge that leaves the window first.
        const frees = recent[recent.length - policy.max]!.getTime() + policy.windowSeconds * 1000;
        throw new SamError('SAM_CHALLENGE_RATE_LIMITED', String(Math.max(1, Math.ceil((frees - now.getTime()) / 1000))));
      }
      return reserveChallenge(c, {
        credentialId: cred.credentialId,
        userId: cmd.userId,
        channel,
        codeHash,
        createdAt: now,
        expiresAt: new Date(now.getTime() + policy.lifetimeSeconds * 1000),
      });
    });
    try {
      await notifier.send(otpMessage(channel, to, cmd.recipient.username, code, policy.lifetimeSeconds));
    } catch (err) {
      deps.log.warn({ event: 'sam.challenge.undelivered', channel, credentialID: cred.credentialId, err: (err as Error).message }, 'OTP not delivered');
      await dropChallenge(deps.db, id);
      throw new SamError('SAM_NOTIFY_FAILED', channel);
    }
    await tx(deps.db, async (c) => {
      await markDelivered(c, cred.credentialId, id, deps.now());
      await writeAudit(c, draft, 'ok');
    });
    deps.log.info({ event: 'sam.challenge', credentialID: cred.credentialId, channel }, 'one-time password sent');
    return { channel, expiresIn: policy.lifetimeSeconds };
  } catch (err) {
    await auditFailure(deps.db, deps.log, draft, err);
    throw err;
  }
}

/** Uniformly random digits, leading zeros kept (crypto.randomInt has no modulo bias). */
export function newCode(digits: number): string {
  return String(randomInt(0, 10 ** digits)).padStart(digits, '0');
}

function otpMessage(channel: 'email' | 'sms', to: string, username: string, code: string, lifetimeSeconds: number): OutboundMessage {
  const minutes = Math.max(1, Math.round(lifetimeSeconds / 60));
  const text =
    channel === 'sms'
      ? `Your signing code is ${code}. Valid ${minutes} min. Never share it.`
      : [
          `Your one-time password for signing is: ${code}`,
          '',
          `It is valid for ${minutes} minute${minutes === 1 ? '' : 's'} and can be used once.`,
          'If you did not ask to sign anything, do not share it and tell your administrator.',
        ].join('\n');
  return { channel, to, username, subject: 'Your signing code', text };
}
