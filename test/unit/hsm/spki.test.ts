import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HsmError } from '../../../sam/hsm/hsm.ts';
import { CURVES, curveByParams } from '../../../sam/hsm/pkcs11/ec_curves.ts';
import { ecSpki, rsaSpki, unwrapEcPoint } from '../../../sam/hsm/pkcs11/spki.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('EC parameters', () => {
  it('are the DER namedCurve OIDs of P-256 and P-384', () => {
    expect(CURVES['P-256'].params.toString('hex')).toBe('06082a8648ce3d030107');
    expect(CURVES['P-384'].params.toString('hex')).toBe('06052b81040022');
    expect(curveByParams(Buffer.from('06052b81040022', 'hex'))).toBe('P-384');
    expect(curveByParams(Buffer.from('06052b81040023', 'hex'))).toBeUndefined(); // P-521
  });
});

describe('SubjectPublicKeyInfo', () => {
  for (const curve of ['P-256', 'P-384'] as const) {
    it(`${curve}: from the DER-wrapped or the bare CKA_EC_POINT, identical to Node's`, () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const expected = publicKey.export({ type: 'spki', format: 'der' });
      const jwk = publicKey.export({ format: 'jwk' });
      const point = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
      const wrapped = Buffer.concat([Buffer.of(0x04, point.length), point]);
      expect(hex(ecSpki(curve, unwrapEcPoint(wrapped, curve)))).toBe(hex(expected));
      expect(hex(ecSpki(curve, unwrapEcPoint(point, curve)))).toBe(hex(expected));
    });
  }

  it('refuses a compressed or truncated point', () => {
    const compressed = Buffer.concat([Buffer.of(0x04, 33, 0x02), Buffer.alloc(32, 1)]);
    expect(() => unwrapEcPoint(compressed, 'P-256')).toThrow(HsmError);
    expect(() => unwrapEcPoint(Buffer.of(0x04, 0x41, 0x04), 'P-256')).toThrow('CKR_ATTRIBUTE_VALUE_INVALID');
  });

  it('RSA: from modulus and exponent, with or without leading zero octets', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const n = Buffer.from(jwk.n!, 'base64url');
    const expected = hex(publicKey.export({ type: 'spki', format: 'der' }));
    expect(hex(rsaSpki(n, Buffer.of(1, 0, 1)))).toBe(expected);
    expect(hex(rsaSpki(Buffer.concat([Buffer.of(0), n]), Buffer.of(0, 1, 0, 1)))).toBe(expected);
  });
});
