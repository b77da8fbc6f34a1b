// The small pure pieces the SAM's decisions rest on, each against an independent reference.
import { constants, createHash, generateKeyPairSync, sign } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { hashListCommitment } from '../../../sam/app/sad/commitment.ts';
import { ecdsaDerToRaw } from '../../../core/ecdsa_der.ts';
import { matchTotp, timeStep } from '../../../sam/app/factors/totp.ts';
import { verifyPss } from '../../../sam/app/signing/emsa_pss.ts';
import { parsePssParams } from '../../../sam/app/signing/pss_params.ts';
import { takeFromMultiset } from '../../../sam/store/multiset.ts';
import { SHA256, SHA384 } from './helpers.ts';
import { pssParams } from '../../unit/sam/pss.ts';

const b = (...xs: number[]) => Uint8Array.from(xs);

describe('takeFromMultiset', () => {
  it('removes one occurrence per request and keeps the rest in order', () => {
    expect(takeFromMultiset([b(1), b(2), b(1)], [b(1)])).toEqual([b(2), b(1)]);
    expect(takeFromMultiset([b(1), b(2), b(1)], [b(1), b(1)])).toEqual([b(2)]);
  });
  it('refuses a request with no occurrence left', () => {
    expect(takeFromMultiset([b(1), b(2)], [b(1), b(1)])).toBeNull();
    expect(takeFromMultiset([], [b(1)])).toBeNull();
    expect(takeFromMultiset([b(1, 2)], [b(1)])).toBeNull();
  });
});

describe('hashListCommitment', () => {
  it('is SHA-256 over 4-byte big-endian length prefixes and the hashes, in order', () => {
    const h1 = b(0xaa, 0xbb);
    const h2 = b(0xcc);
    const expected = createHash('sha256').update(Buffer.from([0, 0, 0, 2, 0xaa, 0xbb, 0, 0, 0, 1, 0xcc])).digest('base64url');
    expect(hashListCommitment([h1, h2])).toBe(expected);
  });
  it('distinguishes lists that concatenate to the same bytes, and orders', () => {
    expect(hashListCommitment([b(1, 2), b(3)])).not.toBe(hashListCommitment([b(1), b(2, 3)]));
    expect(hashListCommitment([b(1), b(2)])).not.toBe(hashListCommitment([b(2), b(1)]));
  });
});

describe('ecdsaDerToRaw', () => {
  it('turns DER Ecdsa-Sig-Value into r||s of the field size, for many signatures (leading zeros, high bits)', () => {
    for (let i = 0; i < 64; i++) {
      const sk = p256.utils.randomSecretKey();
      const msg = createHash('sha256').update(String(i)).digest();
      const sig = p256.sign(msg, sk, { prehash: false, format: 'der' });
      const compact = p256.Signature.fromBytes(sig, 'der').toBytes('compact');
      expect(ecdsaDerToRaw(sig, 32)).toEqual(compact);
    }
  });
});

describe('matchTotp', () => {
  const seed = Buffer.from('12345678901234567890'); // RFC 6238 Appendix B SHA-1 seed
  it('matches the RFC 6238 test vector at T = 59 s (step 1) to the right step', async () => {
    expect(await matchTotp(seed, '287082', new Date(59_000))).toBe(1); // 8-digit vector 94287082, last 6 digits
  });
  it('accepts ±1 step, refuses ±2, refuses malformed codes', async () => {
    const now = new Date(1_700_000_015_000);
    const at = (k: number) => generate({ secret: seed, epoch: (timeStep(now) + k) * 30 });
    expect(await matchTotp(seed, await at(-1), now)).toBe(timeStep(now) - 1);
    expect(await matchTotp(seed, await at(0), now)).toBe(timeStep(now));
    expect(await matchTotp(seed, await at(1), now)).toBe(timeStep(now) + 1);
    expect(await matchTotp(seed, await at(-2), now)).toBeNull();
    expect(await matchTotp(seed, await at(2), now)).toBeNull();
    expect(await matchTotp(seed, '12345', now)).toBeNull();
    expect(await matchTotp(seed, `${await at(0)}0`, now)).toBeNull();
  });
});

describe('EMSA-PSS verification over a digest', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const msg = Buffer.from('document');
  const digest = createHash('sha256').update(msg).digest();
  const p = { hash: 'SHA-256', mgfHash: 'SHA-256', saltLength: 32 } as const;

  it("accepts Node's own PSS signature of the message, given only its digest", () => {
    const sig = sign('sha256', msg, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    expect(verifyPss(publicKey, digest, sig, p)).toBe(true);
  });
  it('refuses another digest, a flipped bit, another salt length, a PKCS#1 v1.5 signature', () => {
    const sig = sign('sha256', msg, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    expect(verifyPss(publicKey, createHash('sha256').update('other').digest(), sig, p)).toBe(false);
    const bad = Buffer.from(sig);
    bad[10]! ^= 1;
    expect(verifyPss(publicKey, digest, bad, p)).toBe(false);
    expect(verifyPss(publicKey, digest, sig, { ...p, saltLength: 20 })).toBe(false);
    expect(verifyPss(publicKey, digest, sign('sha256', msg, privateKey), p)).toBe(false);
  });
});

describe('parsePssParams', () => {
  it('reads hash, MGF1 hash and salt length', () => {
    expect(parsePssParams(pssParams(SHA384, 48, SHA256), 2048)).toEqual({ hash: 'SHA-384', mgfHash: 'SHA-256', saltLength: 48 });
  });
  it('refuses a salt that does not fit the key, with SAM_SIGN_ALGO_PARAMS_INVALID', () => {
    expect(() => parsePssParams(pssParams(SHA256, 256 - 32 - 1, SHA256), 2048)).toThrow(/SAM_SIGN_ALGO_PARAMS_INVALID: salt length/);
    expect(parsePssParams(pssParams(SHA256, 256 - 32 - 2, SHA256), 2048).saltLength).toBe(222);
  });
});
