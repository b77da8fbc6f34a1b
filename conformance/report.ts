// Three renderings of one report: a line per check for people, JSON for programs, JUnit XML for CI dashboards.
import type { CheckResult } from './check.ts';
import type { Report } from './runner.ts';

export function textLine(r: CheckResult): string {
  return `${r.status.toUpperCase().padEnd(4)}  ${r.id}  [${r.clause}]  ${r.reason}`;
}

export function textSummary(report: Report): string {
  const { total, pass, fail, skip } = report.summary;
  return `${report.specification} conformance of ${report.target}: ${total} checks, ${pass} passed, ${fail} failed, ${skip} skipped`;
}

export function toJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const xml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** JUnit XML as Jenkins, GitLab and GitHub test reporters read it: one testsuite per group, one testcase per check. */
export function toJunit(report: Report): string {
  const groups = [...new Set(report.results.map((r) => r.group))];
  const suites = groups.map((g) => {
    const rs = report.results.filter((r) => r.group === g);
    const time = (ms: number) => (ms / 1000).toFixed(3);
    const cases = rs.map((r) => {
      const open = `    <testcase classname="csc.${xml(g)}" name="${xml(`${r.id} — ${r.title} [${r.clause}]`)}" time="${time(r.durationMs)}"`;
      if (r.status === 'pass') return `${open}>\n      <system-out>${xml(r.reason)}</system-out>\n    </testcase>`;
      if (r.status === 'skip') return `${open}>\n      <skipped message="${xml(r.reason)}"/>\n    </testcase>`;
      return `${open}>\n      <failure message="${xml(r.reason)}" type="${xml(r.clause)}">${xml(r.reason)}</failure>\n    </testcase>`;
    });
    const count = (st: string) => rs.filter((r) => r.status === st).length;
    const total = rs.reduce((t, r) => t + r.durationMs, 0);
    return `  <testsuite name="${xml(g)}" tests="${rs.length}" failures="${count('fail')}" errors="0" skipped="${count('skip')}" time="${time(total)}" timestamp="${report.startedAt}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  const { total, fail, skip } = report.summary;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(`${report.specification} conformance of ${report.target}`)}" tests="${total}" failures="${fail}" errors="0" skipped="${skip}">\n${suites.join('\n')}\n</testsuites>\n`;
}
