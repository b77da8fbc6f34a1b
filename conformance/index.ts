// The conformance kit as a library: run it from code, render the report as text, JSON or JUnit XML.
export type { CheckResult, Status } from './check.ts';
export type { ConformanceOptions } from './options.ts';
export { textLine, textSummary, toJson, toJunit } from './report.ts';
export { GROUPS, type Report, runConformance, SPEC_VERSION } from './runner.ts';
