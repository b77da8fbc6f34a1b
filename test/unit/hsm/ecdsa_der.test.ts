import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EcdsaEncodingError, ecdsaDerToRaw, ecdsaRawToDer } from '../../../core/ecdsa_der.ts';

const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ecdsaRawToDer', () => {
  it('encodes small positive integers minimally', () => {
    const raw = new Uint8Array(64);
    raw[31] = 0x01;
    raw[63] = 0x7f;
    expect(toHex(ecdsaRawToDer(raw))).toBe('3006020101' + '02017f');
  });

  it('strips leading zero bytes', () => {
    const raw = hex('0000' + '11'.repeat(30) + '00' + '22'.repeat(31));
    expect(toHex(ecdsaRawToDer(raw))).toBe('3041' + '021e' + '11'.repeat(30) + '021f' + '22'.repeat(31));
  });

  it('prefixes 0x00 when the high bit is set, so the INTEGER stays positive', () => {
    const raw = hex('80' + '00'.repeat(31) + 'ff'.repeat(32));
    expect(toHex(ecdsaRawToDer(raw))).toBe('3046' + '022100' + '80' + '00'.repeat(31) + '022100' + 'ff'.repeat(32));
  });

  it('keeps a zero as one 0x00 byte', () => {
    expect(toHex(ecdsaRawToDer(new Uint8Array(64)))).toBe('3006020100020100');
  });

  it('uses the short length form up to P-384 and the long form beyond 127 content bytes', () => {
    expect(toHex(ecdsaRawToDer(hex('ff'.repeat(96))).subarray(0, 2))).toBe('3066'); // 2 × (2 + 49) = 102
    const big = ecdsaRawToDer(hex('ff'.repeat(132))); // P-521 sized: 2 × (2 + 67) = 138
    expect(toHex(big.subarray(0, 3))).toBe('30818a');
    expect(toHex(ecdsaDerToRaw(big, 66))).toBe('ff'.repeat(132));
  });

  it('refuses odd or empty input', () => {
    expect(() => ecdsaRawToDer(new Uint8Array(63))).toThrow(EcdsaEncodingError);
    expect(() => ecdsaRawToDer(new Uint8Array(0))).toThrow(EcdsaEncodingError);
  });
});

describe('ecdsaDerToRaw', () => {
  it('left-pads r and s to the curve size', () => {
    expect(toHex(ecdsaDerToRaw(hex('3006020101 02017f'), 32))).toBe('00'.repeat(31) + '01' + '00'.repeat(31) + '7f');
  });

  it('drops the sign byte of high-bit integers', () => {
    const der = hex('3046' + '022100' + '80' + '00'.repeat(31) + '022100' + 'ff'.repeat(32));
    expect(toHex(ecdsaDerToRaw(der, 32))).toBe('80' + '00'.repeat(31) + 'ff'.repeat(32));
  });

  it('round-trips random signatures of both curve sizes', () => {
    for (const size of [32, 48]) {
      for (let i = 0; i < 200; i++) {
        const seed = (n: number) => createHash('sha512').update(`${size}/${i}/${n}`).digest();
        const raw = Uint8Array.from(Buffer.concat([seed(0), seed(1)]).subarray(0, 2 * size));
        if (i % 3 === 0) raw.fill(0, 0, (i % 7) + 1); // leading zeros in r
        if (i % 5 === 0) raw[size] = 0x80 | i; // high bit in s
        expect(toHex(ecdsaDerToRaw(ecdsaRawToDer(raw), size))).toBe(toHex(raw));
      }
    }
  });

  it('agrees with Node: Node DER signatures convert to raw ieee-p1363 and back', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    for (let i = 0; i < 20; i++) {
      const m = Buffer.from(`m${i}`);
      const der = sign('sha384', m, privateKey);
      const raw = ecdsaDerToRaw(der, 48);
      expect(verify('sha384', m, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
      expect(toHex(ecdsaRawToDer(raw))).toBe(toHex(der));
    }
  });

  it.each([
    ['not a SEQUENCE', '3106020101020101'],
    ['truncated', '300602010102'],
    ['trailing bytes after the SEQUENCE', '300602010102010100'],
    ['trailing bytes inside the SEQUENCE', '3008' + '020101020101' + '0500'],
    ['negative r', '3006020181020101'],
    ['non-minimal r (superfluous 0x00)', '300702020001020101'],
    ['empty INTEGER', '30050200020101'],
    ['non-minimal length form', '308106020101020101'],
    ['r longer than the curve', '3026' + '0221' + '01'.repeat(33) + '020101'],
  ])('refuses %s', (_, h) => {
    expect(() => ecdsaDerToRaw(hex(h), 32)).toThrow(EcdsaEncodingError);
  });
});
