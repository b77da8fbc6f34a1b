// authData of credentials/authorize (CSC v2 §11.6, §8.3.1) → the factors the SAM checks. Only the objects that
// credentials/info announces (PIN, OTP) are accepted, each at most once; rssp never judges the values.
import { CscError } from '../../../core/errors.ts';
import type { Factors } from '../../../core/sam_port.ts';

const FIELD: Record<string, keyof Factors> = { PIN: 'pin', OTP: 'otp' };

export function factorsFrom(authData: unknown): Factors {
  if (authData === undefined) return {};
  if (!Array.isArray(authData)) throw new CscError('invalidAuthenticationData');
  const factors: Factors = {};
  for (const item of authData) {
    const id = (item as { id?: unknown } | null)?.id;
    const value = (item as { value?: unknown } | null)?.value;
    const field = typeof id === 'string' && Object.hasOwn(FIELD, id) ? FIELD[id]! : undefined;
    // An unknown object, a repeated one or a value that is not a string: the same refusal as a wrong value, so
    // that the answer says nothing about which factor was at fault.
    if (!field || typeof value !== 'string' || factors[field] !== undefined) throw new CscError('invalidAuthenticationData');
    factors[field] = value;
  }
  return factors;
}
