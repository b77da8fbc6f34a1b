// The benchmark's own arithmetic, kept apart so that it can be tested: latency percentiles, rates and the
// end-to-end ÷ raw ratio the targets of issue #6 are stated in.

export type LatencySummary = { count: number; p50: number; p95: number; p99: number; max: number; mean: number };

/** Nearest-rank percentile (the smallest sample with at least p % of the samples at or below it) of an ascending
 *  array; NaN for no samples. Nearest rank rather than interpolation: every figure reported is a latency that some
 *  request really had. */
export function percentile(sortedAsc: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sortedAsc.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sortedAsc.length);
  return sortedAsc[Math.min(rank, sortedAsc.length) - 1]!;
}

export function summarize(latenciesMs: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((s, x) => s + x, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** Events per second over a measured window. */
export function rate(count: number, elapsedMs: number): number {
  if (elapsedMs <= 0) return Number.NaN;
  return (count * 1000) / elapsedMs;
}

/** End-to-end signatures/s ÷ raw signatures/s of the same algorithm; null when there is no raw figure. */
export function ratio(endToEnd: number, raw: number | undefined): number | null {
  if (raw === undefined || !(raw > 0) || !Number.isFinite(endToEnd)) return null;
  return endToEnd / raw;
}

/** Share of each step in the total, for the time breakdown of the full scenario. */
export function shares(parts: Record<string, number>): Record<string, number> {
  const total = Object.values(parts).reduce((s, x) => s + x, 0);
  return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, total > 0 ? v / total : 0]));
}
