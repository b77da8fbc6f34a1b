// The arithmetic of the remote-HSM mode (issue #13 item 2), kept apart from bench/run.ts so that it can be tested:
// the SAM_SESSIONS list, the scaling of each point against the smallest session count, the ceiling the token's
// latency alone puts on the rate, and the targets of the issue.

/** `--sessions 4,8,16,32`: positive integers, at most 256 (core/config.ts SAM_SESSIONS), returned ascending and
 *  without repeats, so that the first one is the base of every scaling ratio. */
export function parseSessionsList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const n = Number(part);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`--sessions takes integers from 1 to 256, got "${part}"`);
    out.add(n);
  }
  if (!out.size) throw new RangeError('--sessions needs at least one session count');
  return [...out].sort((a, b) => a - b);
}

/** PKCS#11 operations, each one round trip to the token, per signature the SAM returns: ECDSA is signed and then
 *  verified by the token (DESIGN §2.4: Node cannot verify ECDSA over a bare digest); RSA is verified in software. */
export function tokenCallsPerSignature(kind: 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss'): number {
  return kind === 'ecdsa' ? 2 : 1;
}

/** The most signatures per second that `sessions` sessions can give when each token call holds a session for at
 *  least `latencyMs` (Little's law: throughput ≤ sessions ÷ time each session is held per signature). Infinity
 *  without injected latency. The token's own compute time only lowers it further. */
export function latencyCeiling(sessions: number, latencyMs: number, callsPerSignature: number): number {
  if (!(latencyMs > 0)) return Number.POSITIVE_INFINITY;
  return (sessions * 1000) / (latencyMs * callsPerSignature);
}

/** One measured point: the service's single scenario at this SAM_SESSIONS, and the raw rate of the same token
 *  through the same latency with as many sessions. */
export type RemotePoint = {
  sessions: number;
  signaturesPerSec: number;
  p99Ms: number;
  /** The highest peak RSS of the processes measured (the service, or the api and the SAM when split). */
  peakRssBytes: number;
  rawSignPerSec: number | null;
  rawSignVerifyPerSec: number | null;
};

export type ScalingRow = RemotePoint & {
  /** signatures/s ÷ signatures/s at the smallest session count. */
  scaling: number | null;
  /** sessions ÷ the smallest session count: what a latency-bound rate would give. */
  ideal: number;
  /** scaling ÷ ideal: 1 is linear, below 1 something other than the sessions limits. */
  efficiency: number | null;
  ceiling: number;
  /** signatures/s ÷ ceiling: how close the service gets to what the latency allows. */
  ofCeiling: number | null;
  ratioRawSign: number | null;
  ratioRawSignVerify: number | null;
  rawScaling: number | null;
};

const div = (a: number | null, b: number | null): number | null =>
  a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || !(b > 0) ? null : a / b;

/** The scaling table of one algorithm: each point against the first (smallest) session count. */
export function scalingTable(points: readonly RemotePoint[], latencyMs: number, callsPerSignature: number): ScalingRow[] {
  const sorted = [...points].sort((a, b) => a.sessions - b.sessions);
  const base = sorted[0];
  if (!base) return [];
  return sorted.map((p) => {
    const ceiling = latencyCeiling(p.sessions, latencyMs, callsPerSignature);
    return {
      ...p,
      scaling: div(p.signaturesPerSec, base.signaturesPerSec),
      ideal: p.sessions / base.sessions,
      efficiency: div(div(p.signaturesPerSec, base.signaturesPerSec), p.sessions / base.sessions),
      ceiling,
      ofCeiling: Number.isFinite(ceiling) ? div(p.signaturesPerSec, ceiling) : null,
      ratioRawSign: div(p.signaturesPerSec, p.rawSignPerSec),
      ratioRawSignVerify: div(p.signaturesPerSec, p.rawSignVerifyPerSec),
      rawScaling: div(p.rawSignPerSec, base.rawSignPerSec),
    };
  });
}

/** The targets for this mode, per row: throughput grows at least linearly with the sessions (a 5 % margin
 *  for noise), p99 ≤ 50 ms, RSS ≤ 300 MB. `linear` is null for the base row (nothing to compare with). */
export function targets(row: ScalingRow): { linear: boolean | null; p99: boolean; rss: boolean } {
  return {
    linear: row.ideal === 1 || row.efficiency === null ? null : row.efficiency >= 0.95,
    p99: row.p99Ms <= 50,
    rss: row.peakRssBytes <= 300 * 1024 * 1024,
  };
}
