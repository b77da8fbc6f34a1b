// TOTP enrolment (DESIGN §2.1, RFC 6238): a fresh 160-bit seed (RFC 4226 §4 recommends 160 bits), shown once
// to the user as base32 and as an otpauth URI, stored only encrypted under an AES key inside the HSM with the
// user id as associated data. Re-enrolling replaces the seed and restarts the replay guard.
import { randomBytes } from 'node:crypto';
import { generateURI, ScureBase32Plugin } from 'otplib';
import type { RequestContext } from '../../core/sam_port.ts';
import { upsertOtpSeed } from '../store/otp.ts';
import type { SamDeps } from './deps.ts';
import { hsmCall } from './hsm_errors.ts';
import { OTP_WRAP_LABEL } from './sad/sam_keys.ts';
import { TOTP_DIGITS, TOTP_PERIOD } from './factors/totp.ts';

const SEED_BYTES = 20;
export const OTP_ISSUER = 'RSSP';

export async function enrollOtp(
  deps: SamDeps,
  cmd: { ctx: RequestContext; userId: string; accountName: string },
): Promise<{ secret: string; otpauthUri: string }> {
  const seed = randomBytes(SEED_BYTES);
  const seedEnc = await hsmCall(() => deps.hsm.encrypt(OTP_WRAP_LABEL, seed, Buffer.from(cmd.userId, 'utf8')));
  await upsertOtpSeed(deps.db, cmd.userId, seedEnc);
  const secret = new ScureBase32Plugin().encode(seed);
  const otpauthUri = generateURI({ issuer: OTP_ISSUER, label: cmd.accountName, secret, digits: TOTP_DIGITS, period: TOTP_PERIOD });
  deps.log.info({ event: 'sam.otp.enroll', userId: cmd.userId, requestId: cmd.ctx.requestId }, 'OTP enrolled');
  return { secret, otpauthUri };
}
