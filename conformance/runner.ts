// Runs the groups in order (each builds on what the earlier ones learned) and turns every check into one result.
import { CheckFailed, type CheckResult, CheckSkipped } from './check.ts';
import { GROUPS } from './groups.ts';
import type { ConformanceOptions, ProfileName } from './options.ts';
import { PROFILES } from './profiles/index.ts';
import { Session } from './session.ts';

export { GROUPS } from './groups.ts';

export const SPEC_VERSION = '2.0.0.2';

export type Report = {
  tool: 'rssp-conformance';
  specification: string;
  target: string;
  startedAt: string;
  finishedAt: string;
  /** The client compatibility profile run, when one was asked for. */
  profile?: ProfileName;
  summary: { total: number; pass: number; fail: number; skip: number };
  results: CheckResult[];
};

export async function runConformance(options: ConformanceOptions, onResult?: (r: CheckResult) => void): Promise<Report> {
  const session = new Session(options);
  const startedAt = new Date().toISOString();
  const results: CheckResult[] = [];
  const profile = options.profile === undefined ? undefined : PROFILES[options.profile];
  for (const group of profile?.groups ?? GROUPS) {
    for (const check of group.checks(session)) {
      const t0 = performance.now();
      let status: CheckResult['status'];
      let reason: string;
      try {
        reason = await check.run(session);
        status = 'pass';
      } catch (err) {
        if (err instanceof CheckSkipped) status = 'skip';
        else status = 'fail';
        reason = err instanceof CheckFailed || err instanceof CheckSkipped ? err.message : `unexpected error in the check: ${(err as Error).message}`;
      }
      const result: CheckResult = { id: check.id, group: group.name, title: check.title, clause: check.clause, status, reason, durationMs: Math.round(performance.now() - t0) };
      results.push(result);
      onResult?.(result);
    }
  }
  const count = (st: CheckResult['status']) => results.filter((r) => r.status === st).length;
  return {
    tool: 'rssp-conformance',
    specification: profile ? `${profile.specification}, profile ${options.profile}` : `CSC API v${SPEC_VERSION}`,
    target: session.http.baseUrl,
    ...(options.profile ? { profile: options.profile } : {}),
    startedAt,
    finishedAt: new Date().toISOString(),
    summary: { total: results.length, pass: count('pass'), fail: count('fail'), skip: count('skip') },
    results,
  };
}
