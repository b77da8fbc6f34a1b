import { constants, createHash, generateKeyPairSync, publicDecrypt, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HsmError } from '../../../sam/hsm/hsm.ts';
import { digestInfo } from '../../../sam/hsm/pkcs11/digest_info.ts';

describe('digestInfo', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  // A PKCS#1 v1.5 signature decrypts (RSA public op, PKCS#1 type 1 padding removed) to the DigestInfo Node built.
  it.each([
    ['SHA-256', 'sha256'],
    ['SHA-384', 'sha384'],
    ['SHA-512', 'sha512'],
  ] as const)('equals the DigestInfo inside a Node %s signature', (hash, node) => {
    const m = Buffer.from(`message for ${hash}`);
    const recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, sign(node, m, privateKey));
    const digest = createHash(node).update(m).digest();
    expect(digestInfo(hash, digest).toString('hex')).toBe(recovered.toString('hex'));
  });

  it('refuses a digest of the wrong length with CKR_DATA_LEN_RANGE', () => {
    expect(() => digestInfo('SHA-256', new Uint8Array(48))).toThrow(HsmError);
    try {
      digestInfo('SHA-512', new Uint8Array(32));
    } catch (err) {
      expect((err as HsmError).ckr).toBe('CKR_DATA_LEN_RANGE');
      expect((err as HsmError).message).toBe('CKR_DATA_LEN_RANGE: a SHA-512 digest has 64 bytes, got 32');
    }
    expect.assertions(3);
  });
});
