// The error model every refusal must follow (CSC v2 §10.1): a 4xx status of Table 2, Content-Type
// application/json, and a JSON object with a string `error` (and, highly recommended, `error_description`).
import { fail, skip } from './check.ts';
import { describeAnswer, type HttpAnswer } from './http_client.ts';
import { isObject } from './encodings.ts';

export const isJsonContentType = (ct: string) => /^application\/json\s*(;|$)/i.test(ct);

export type ErrorExpectation = {
  /** Acceptable statuses; the first is the one the specification names. */
  statuses: number[];
  /** When set, the `error` value the specification names for this case. */
  error?: string | string[];
};

/** Fails unless `a` is a well-formed CSC error with an acceptable status; returns what was seen. */
export function expectCscError(a: HttpAnswer, what: string, exp: ErrorExpectation): string {
  if (!exp.statuses.includes(429)) skipIfThrottled(a, what);
  if (a.status === 501 && !exp.statuses.includes(501)) fail(`${what}: answered 501 Not Implemented instead of ${exp.statuses.join(' or ')}: is the method really there?`);
  if (a.status >= 500 && !exp.statuses.includes(a.status)) fail(`${what}: answered ${a.status}, a server error, to a client mistake (expected ${exp.statuses.join(' or ')}): ${describeAnswer(a)}`);
  if (a.status >= 200 && a.status < 300) fail(`${what}: accepted (HTTP ${a.status}) instead of refusing with ${exp.statuses.join(' or ')}: ${describeAnswer(a)}`);
  const issues: string[] = [];
  if (!exp.statuses.includes(a.status)) issues.push(`status ${a.status}, expected ${exp.statuses.join(' or ')}`);
  if (!isJsonContentType(a.contentType)) issues.push(`Content-Type "${a.contentType}", expected application/json (CSC v2 §10.1)`);
  if (!isObject(a.json)) issues.push('body is not a JSON object');
  else {
    if (typeof a.json.error !== 'string' || !a.json.error) issues.push('no string "error" in the body');
    else if (exp.error !== undefined) {
      const allowed = Array.isArray(exp.error) ? exp.error : [exp.error];
      if (!allowed.includes(a.json.error)) issues.push(`error "${a.json.error}", expected ${allowed.map((e) => `"${e}"`).join(' or ')}`);
    }
    if ('error_description' in a.json && typeof a.json.error_description !== 'string') issues.push('"error_description" is not a string');
  }
  if (issues.length) fail(`${what}: ${issues.join('; ')} — ${describeAnswer(a)}`);
  const body = a.json as Record<string, unknown>;
  return `${what}: ${a.status} ${String(body.error)}${typeof body.error_description === 'string' ? ` "${body.error_description}"` : ''}`;
}

/** A 429 says nothing about conformance (CSC v2 §10 Table 2 applies it to the whole service): the check cannot
 *  conclude, so it is skipped with the wait the service asked for. */
export function skipIfThrottled(a: HttpAnswer, what: string): void {
  if (a.status === 429) skip(`${what}: the service throttled the request (429${a.retryAfter ? `, Retry-After ${a.retryAfter}` : ''}); run again later or against a less busy account`);
}

/** Fails unless `a` is 200 with a JSON object body; returns that object. */
export function expectJsonOk(a: HttpAnswer, what: string): Record<string, unknown> {
  skipIfThrottled(a, what);
  if (a.status !== 200) fail(`${what}: expected 200, got ${describeAnswer(a)}`);
  if (!isJsonContentType(a.contentType)) fail(`${what}: Content-Type "${a.contentType}", expected application/json (CSC v2 §7.1)`);
  if (!isObject(a.json)) fail(`${what}: body is not a JSON object: ${describeAnswer(a)}`);
  return a.json as Record<string, unknown>;
}
