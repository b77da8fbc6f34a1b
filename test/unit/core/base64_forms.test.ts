// The tolerant base64 forms of issue #12 item 3 (core/base64.ts): percent-encoded base64 of v1 clients and base64 that
// went through form decoding ('+' → space) decode to the same bytes as the plain form, and nothing looser is let in.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeFormBase64, decodePercentEncodedBase64 } from '../../../core/base64.ts';

/** Bytes whose standard base64 holds '+', '/' and padding, so every escape is exercised. */
const tricky = Buffer.from([0xfb, 0xff, 0xbf, 0xfe, 0x0f, 0xfb, 0xf0]);
const std = tricky.toString('base64'); // "+/+//g/78A=="

describe('decodePercentEncodedBase64 (CSC v1 bodies)', () => {
  it('undoes %2B, %2F and %3D in either hex case and gives the plain bytes', () => {
    expect(std).toMatch(/\+/);
    expect(std).toMatch(/\//);
    expect(std).toMatch(/=$/);
    const upper = std.replace(/\+/g, '%2B').replace(/\//g, '%2F').replace(/=/g, '%3D');
    for (const form of [upper, upper.replace(/%2B/g, '%2b').replace(/%2F/g, '%2f').replace(/%3D/g, '%3d'), std]) {
      expect(Buffer.from(decodePercentEncodedBase64(form)!)).toEqual(tricky);
    }
  });

  it('still takes base64url and unpadded forms', () => {
    for (let n = 1; n < 40; n++) {
      const b = randomBytes(n);
      expect(Buffer.from(decodePercentEncodedBase64(b.toString('base64url'))!)).toEqual(b);
    }
  });

  it.each([
    ['%2', 'a truncated escape'],
    ['AB%41CD', 'an escape of a character that needs none'],
    ['%252B', 'a double escape'],
    ['ab%20cd', 'an escaped space'],
  ])('refuses %s (%s)', (text) => {
    expect(decodePercentEncodedBase64(text)).toBeNull();
  });

  it('is not used by the plain decoder: /csc/v2 refuses percent-encoding', () => {
    expect(decodeBase64(std.replace(/\+/g, '%2B'))).toBeNull();
  });
});

describe('decodeFormBase64 (OAuth query and form parameters)', () => {
  it("reads a space back as the '+' that form decoding turned into it", () => {
    expect(Buffer.from(decodeFormBase64(std.replace(/\+/g, ' '))!)).toEqual(tricky);
    expect(Buffer.from(decodeFormBase64(tricky.toString('base64url'))!)).toEqual(tricky);
  });

  it('refuses what is not base64 even after that', () => {
    expect(decodeFormBase64('ab\tcd')).toBeNull();
    expect(decodeFormBase64('')).toBeNull();
  });
});
