import { describe, expect, it } from 'vitest';
import { SamError } from '../../../core/sam_port.ts';
import { decodeWire, encodeWire, isWireError, samErrorFromWire, wireError } from '../../../core/sam_wire.ts';

describe('the SAM wire codec', () => {
  it('carries byte strings as base64 objects and back, wherever they are nested', () => {
    const pooled = Buffer.from('xxhello worldxx').subarray(2, 13); // a view into a larger buffer
    const value = { hashes: [new Uint8Array([0, 255, 7]), pooled], n: 3, nested: { spki: Buffer.from([1, 2]) }, s: 'text', none: null };
    const text = encodeWire(value);
    expect(JSON.parse(text)).toEqual({ hashes: [{ $b64: 'AP8H' }, { $b64: 'aGVsbG8gd29ybGQ=' }], n: 3, nested: { spki: { $b64: 'AQI=' } }, s: 'text', none: null });
    const back = decodeWire(text) as typeof value;
    expect(back.hashes[0]).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(back.hashes[1]!).toString()).toBe('hello world');
    expect([...back.nested.spki]).toEqual([1, 2]);
    expect(back.s).toBe('text');
  });

  it('leaves objects that merely contain a $b64 key among others alone', () => {
    expect(decodeWire('{"a":{"$b64":"AQI=","other":1}}')).toEqual({ a: { $b64: 'AQI=', other: 1 } });
    expect(decodeWire('{"a":{"$b64":5}}')).toEqual({ a: { $b64: 5 } });
  });

  it('turns a SamError into its code and detail and back', () => {
    const e = wireError(new SamError('SAM_CHALLENGE_RATE_LIMITED', '120'));
    expect(e).toEqual({ samError: 'SAM_CHALLENGE_RATE_LIMITED', detail: '120' });
    expect(isWireError(JSON.parse(encodeWire(e)))).toBe(true);
    const back = samErrorFromWire(e);
    expect(back).toBeInstanceOf(SamError);
    expect([back.code, back.detail]).toEqual(['SAM_CHALLENGE_RATE_LIMITED', '120']);
    expect(wireError(new SamError('SAM_SAD_EXPIRED'))).toEqual({ samError: 'SAM_SAD_EXPIRED' });
    expect(isWireError({ invalid: 'x' })).toBe(false);
  });
});
