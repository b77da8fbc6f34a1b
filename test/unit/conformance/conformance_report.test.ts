// The reports are what a CI system reads: JUnit must stay well-formed whatever a server answers, and the encoding
// predicates must say precisely what is wrong.
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../conformance/check.ts';
import { metadataUrl } from '../../../conformance/checks/info.ts';
import { base64Problem, isGeneralizedTime } from '../../../conformance/encodings.ts';
import { normalizeBaseUrl } from '../../../conformance/options.ts';
import { textLine, toJunit } from '../../../conformance/report.ts';
import type { Report } from '../../../conformance/runner.ts';

const result = (over: Partial<CheckResult>): CheckResult => ({ id: 'x', group: 'g', title: 't', clause: 'CSC v2 §11.1', status: 'pass', reason: 'ok', durationMs: 12, ...over });

function report(results: CheckResult[]): Report {
  const n = (s: string) => results.filter((r) => r.status === s).length;
  return { tool: 'rssp-conformance', specification: 'CSC API v2.0.0.2', target: 'http://h/csc/v2', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z',
    summary: { total: results.length, pass: n('pass'), fail: n('fail'), skip: n('skip') }, results };
}

describe('JUnit XML', () => {
  it('one testsuite per group with counts; failure and skipped elements carry the reason, escaped', () => {
    const xml = toJunit(report([
      result({ id: 'info.a', group: 'info' }),
      result({ id: 'signing.b', group: 'signing', status: 'fail', reason: 'answered <html> & "500"\u0001' }),
      result({ id: 'signing.c', group: 'signing', status: 'skip', reason: "needs --pin's value" }),
    ]));
    expect(xml).toContain('<testsuites name="CSC API v2.0.0.2 conformance of http://h/csc/v2" tests="3" failures="1" errors="0" skipped="1">');
    expect(xml).toContain('<testsuite name="info" tests="1" failures="0" errors="0" skipped="0" time="0.012"');
    expect(xml).toContain('<testsuite name="signing" tests="2" failures="1" errors="0" skipped="1" time="0.024"');
    expect(xml).toContain('<failure message="answered &lt;html&gt; &amp; &quot;500&quot;" type="CSC v2 §11.1">');
    expect(xml).toContain('<skipped message="needs --pin&apos;s value"/>');
    expect(xml).not.toContain('\u0001');
  });

  it('a text line shows status, id, clause and reason', () => {
    expect(textLine(result({ status: 'fail', id: 'info.available', reason: 'no' }))).toBe('FAIL  info.available  [CSC v2 §11.1]  no');
  });
});

describe('encodings', () => {
  it('names the base64 mistake', () => {
    expect(base64Problem('AAEC')).toBeUndefined();
    expect(base64Problem('AAE=')).toBeUndefined();
    expect(base64Problem('AA-_')).toBe('uses the base64url alphabet, not standard base64');
    expect(base64Problem('AAE')).toBe('is not padded to a multiple of 4 characters');
    expect(base64Problem('AAEC\nAAEC')).toBe('contains line breaks (CSC v2 §5.2 forbids them)');
    expect(base64Problem(42)).toBe('not a string (number)');
  });

  it('GeneralizedTime is exactly YYYYMMDDHHMMSSZ', () => {
    expect(isGeneralizedTime('20260101120000Z')).toBe(true);
    for (const bad of ['2026-01-01T12:00:00Z', '20260101120000', '20261301120000Z', '202601011200Z', '20260101120000.5Z']) expect(isGeneralizedTime(bad), bad).toBe(false);
  });

  it('OAuth metadata is looked up where RFC 8414 §3.1 puts it, path after the well-known segment', () => {
    expect(metadataUrl('https://as.example')).toBe('https://as.example/.well-known/oauth-authorization-server');
    expect(metadataUrl('https://as.example/tenant/one/')).toBe('https://as.example/.well-known/oauth-authorization-server/tenant/one');
  });

  it('the base URL gets /csc/v2 unless it ends with it (CSC v2 §7.2)', () => {
    expect(normalizeBaseUrl('https://s.example/')).toBe('https://s.example/csc/v2');
    expect(normalizeBaseUrl('https://s.example/x/csc/v2/')).toBe('https://s.example/x/csc/v2');
  });
});
