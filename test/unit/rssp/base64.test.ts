// Strict base64 of CSC inputs (core/base64.ts): both alphabets, optional padding, one string per value.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64, toBase64 } from '../../../core/base64.ts';

describe('decodeBase64', () => {
  it('decodes standard and url-safe forms, padded or not, to the same bytes', () => {
    for (let n = 1; n <= 70; n++) {
      const bytes = randomBytes(n);
      const std = bytes.toString('base64');
      const url = bytes.toString('base64url');
      for (const form of [std, std.replace(/=+$/, ''), url, url + '='.repeat((4 - (url.length % 4)) % 4)]) {
        expect(Buffer.from(decodeBase64(form)!), form).toEqual(bytes);
      }
    }
  });

  it.each([
    ['', 'empty'],
    ['a', 'one character'],
    ['abcde', 'length 1 mod 4'],
    ['ab+_', 'mixed alphabets'],
    ['ab c', 'whitespace'],
    ['ab\ncd', 'line break'],
    ['abc==', 'too much padding'],
    ['ab=', 'padding that does not complete a quantum'],
    ['ab==cd', 'padding in the middle'],
    ['AB==', 'non-zero bits after the last byte'],
    ['ABC=', 'non-zero bits after the last two bytes'],
    ['abc*', 'a character of neither alphabet'],
  ])('refuses %j (%s)', (text) => {
    expect(decodeBase64(text)).toBeNull();
  });
});

describe('toBase64', () => {
  it('writes standard padded base64', () => {
    expect(toBase64(new Uint8Array([0xfb, 0xff]))).toBe('+/8=');
    expect(toBase64(new Uint8Array(Buffer.from('hello').subarray(1, 3)))).toBe('ZWw=');
  });
});
