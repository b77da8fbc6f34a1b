import { describe, expect, it } from 'vitest';
import { latencyCeiling, parseSessionsList, scalingTable, targets, tokenCallsPerSignature, type RemotePoint } from '../../../bench/remote.ts';

const MB = 1024 * 1024;
const point = (sessions: number, signaturesPerSec: number, over: Partial<RemotePoint> = {}): RemotePoint => ({
  sessions,
  signaturesPerSec,
  p99Ms: 40,
  peakRssBytes: 200 * MB,
  rawSignPerSec: sessions * 400,
  rawSignVerifyPerSec: sessions * 200,
  ...over,
});

describe('remote-HSM mode of the benchmark', () => {
  it('reads --sessions as ascending distinct session counts, the smallest first', () => {
    expect(parseSessionsList('4,8,16,32')).toEqual([4, 8, 16, 32]);
    expect(parseSessionsList(' 16, 4,8,4 ')).toEqual([4, 8, 16]);
    expect(parseSessionsList('1')).toEqual([1]);
  });

  it('refuses session counts SAM_SESSIONS would refuse, and an empty list', () => {
    expect(() => parseSessionsList('4,0')).toThrow('--sessions takes integers from 1 to 256, got "0"');
    expect(() => parseSessionsList('257')).toThrow(RangeError);
    expect(() => parseSessionsList('4,8.5')).toThrow('got "8.5"');
    expect(() => parseSessionsList('four')).toThrow(RangeError);
    expect(() => parseSessionsList(' , ')).toThrow('--sessions needs at least one session count');
  });

  it('counts two token round trips per ECDSA signature (sign, then the token verifies) and one per RSA signature', () => {
    expect(tokenCallsPerSignature('ecdsa')).toBe(2);
    expect(tokenCallsPerSignature('rsa-pkcs1')).toBe(1);
    expect(tokenCallsPerSignature('rsa-pss')).toBe(1);
  });

  it('bounds the rate by sessions ÷ time each signature holds a session (Little\'s law)', () => {
    expect(latencyCeiling(4, 1, 2)).toBe(2000); // 4 sessions, 2 ms held per signature
    expect(latencyCeiling(32, 1, 1)).toBe(32000);
    expect(latencyCeiling(8, 2.5, 2)).toBe(1600);
    expect(latencyCeiling(4, 0, 2)).toBe(Number.POSITIVE_INFINITY);
  });

  it('scales each point against the smallest session count, whatever the order it was measured in', () => {
    const rows = scalingTable([point(16, 1200), point(4, 300), point(8, 660), point(32, 1500)], 10, 2);
    expect(rows.map((r) => r.sessions)).toEqual([4, 8, 16, 32]);
    expect(rows.map((r) => r.ideal)).toEqual([1, 2, 4, 8]);
    expect(rows.map((r) => r.scaling)).toEqual([1, 2.2, 4, 5]);
    expect(rows.map((r) => r.efficiency)).toEqual([1, 1.1, 1, 0.625]);
    expect(rows.map((r) => r.ceiling)).toEqual([200, 400, 800, 1600]);
    expect(rows[0]!.ofCeiling).toBe(1.5);
    expect(rows.map((r) => r.rawScaling)).toEqual([1, 2, 4, 8]);
    expect(rows[1]!.ratioRawSign).toBeCloseTo(660 / 3200);
    expect(rows[1]!.ratioRawSignVerify).toBeCloseTo(660 / 1600);
  });

  it('gives no ratio where a rate is missing or zero, instead of Infinity or NaN', () => {
    const rows = scalingTable([point(4, 0, { rawSignPerSec: null, rawSignVerifyPerSec: 0 }), point(8, 100)], 0, 2);
    expect(rows[0]!.ratioRawSign).toBeNull();
    expect(rows[0]!.ratioRawSignVerify).toBeNull();
    expect(rows[0]!.ofCeiling).toBeNull(); // no injected latency: no ceiling
    expect(rows[1]!.scaling).toBeNull(); // the base rate is 0
    expect(rows[1]!.efficiency).toBeNull();
    expect(rows[1]!.rawScaling).toBeNull();
    expect(scalingTable([], 1, 2)).toEqual([]);
  });

  it('judges the issue\'s targets: at least linear within 5 %, p99 ≤ 50 ms, RSS ≤ 300 MB', () => {
    const [base, linear, sublinear] = scalingTable([point(4, 100), point(8, 191), point(16, 300, { p99Ms: 50.1, peakRssBytes: 301 * MB })], 1, 2);
    expect(targets(base!)).toEqual({ linear: null, p99: true, rss: true });
    expect(targets(linear!)).toEqual({ linear: true, p99: true, rss: true });
    expect(targets(sublinear!)).toEqual({ linear: false, p99: false, rss: false });
  });
});
