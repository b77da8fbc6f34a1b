// TOTP as RFC 6238 with the parameters every authenticator app defaults to: HMAC-SHA-1, 30-second steps, 6 digits.
// otplib computes the codes; matching is ours so that we know which time step matched (needed for the replay
// guard) and compare in constant time against each step of the window.
import { timingSafeEqual } from 'node:crypto';
import { generate } from 'otplib';

export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one: RFC 6238 §5.2 recommends at most one step of clock drift. */
const TOTP_WINDOW = 1;

export function timeStep(now: Date): number {
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD);
}

async function totpAt(seed: Uint8Array, step: number): Promise<string> {
  return generate({ secret: seed, epoch: step * TOTP_PERIOD, period: TOTP_PERIOD, digits: TOTP_DIGITS });
}

/** The time step whose code equals `code`, within the window around `now`; null when none does. Every step of the
 *  window is computed and compared in constant time, so the time taken does not tell which one matched. (A
 *  malformed code is refused at once: its shape is no secret.) */
export async function matchTotp(seed: Uint8Array, code: string, now: Date): Promise<number | null> {
  if (!DIGITS_ONLY.test(code)) return null;
  const given = Buffer.from(code, 'latin1');
  const current = timeStep(now);
  let matched: number | null = null;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const expected = Buffer.from(await totpAt(seed, step), 'latin1');
    if (timingSafeEqual(given, expected) && matched === null) matched = step;
  }
  return matched;
}

const DIGITS_ONLY = new RegExp(`^[0-9]{${TOTP_DIGITS}}$`);
