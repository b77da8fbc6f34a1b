// Slow, salted hashing for secrets a person types (passwords in authz, PINs in the SAM). scrypt from Node's
// crypto: memory-hard, no native dependency. Stored as `scrypt$N$r$p$salt$hash` (base64) so parameters can be
// raised later without invalidating existing hashes.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (secret: string, salt: Buffer, len: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(secret.normalize('NFC'), salt, len, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );

export type ScryptParams = { N: number; r: number; p: number };
export const SCRYPT_DEFAULTS: ScryptParams = { N: 1 << 15, r: 8, p: 1 };
const KEY_LEN = 32;

export async function hashSecret(secret: string, params: ScryptParams = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, KEY_LEN, { ...params, maxmem: 256 * params.N * params.r });
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Constant-time check of `secret` against a stored hash; false (never a throw) for a malformed record. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const N = Number(n), R = Number(r), P = Number(p);
  const key = await scrypt(secret, Buffer.from(salt, 'base64'), expected.length, { N, r: R, p: P, maxmem: 256 * N * R });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash of nothing in particular, checked when a user does not exist so that timing does not tell. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashSecret(randomBytes(16).toString('hex'));
  return dummy;
}
