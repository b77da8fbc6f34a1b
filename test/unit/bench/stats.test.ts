import { describe, expect, it } from 'vitest';
import { percentile, rate, ratio, shares, summarize } from '../../../bench/stats.ts';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles: values some request really had', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
    expect(() => percentile(xs, 0)).toThrow(RangeError);
    expect(() => percentile(xs, 101)).toThrow(RangeError);
  });

  it('summarizes unsorted latencies without reordering the caller\'s array', () => {
    const xs = [30, 10, 20, 40];
    expect(summarize(xs)).toEqual({ count: 4, p50: 20, p95: 40, p99: 40, max: 40, mean: 25 });
    expect(xs).toEqual([30, 10, 20, 40]);
  });

  it('computes rates and the end-to-end ÷ raw ratio', () => {
    expect(rate(500, 2000)).toBe(250);
    expect(Number.isNaN(rate(5, 0))).toBe(true);
    expect(ratio(900, 1000)).toBeCloseTo(0.9);
    expect(ratio(900, undefined)).toBeNull();
    expect(ratio(900, 0)).toBeNull();
  });

  it('gives each step its share of the total', () => {
    expect(shares({ pin: 60, hsm: 30, db: 10 })).toEqual({ pin: 0.6, hsm: 0.3, db: 0.1 });
    expect(shares({ a: 0 })).toEqual({ a: 0 });
  });
});
