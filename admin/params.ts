// Reading and checking admin request bodies. Every refusal names the parameter and the rule, so an operator
// can fix the command without reading code; unknown parameters are refused too, since a typo ("rsa_bits") would
// otherwise silently fall back to a default.
import type Koa from 'koa';
import { CscError } from '../core/errors.ts';

/** A PEM chain of a few certificates fits easily; anything bigger is a mistake or an attack. */
export const BODY_LIMIT = 1024 * 1024;

export type Body = Record<string, unknown>;

export async function readJsonBody(ctx: Koa.Context): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new CscError('bodyTooLarge');
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw.trim() === '') return {};
  if (!ctx.is('application/json')) throw new CscError('unsupportedMediaType');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new CscError('notJson');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CscError('notJson');
  return parsed as Body;
}

const invalid = (name: string, rule: string) => new CscError('invalidRequest', { description: `Invalid parameter ${name}: ${rule}` });

export function onlyKnown(body: Body, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) throw new CscError('invalidRequest', { description: `Unknown parameter ${unknown[0]}` });
}

export function requiredString(body: Body, name: string): string {
  const v = body[name];
  if (v === undefined || v === null) throw new CscError('invalidRequest', { description: `Missing parameter ${name}` });
  if (typeof v !== 'string') throw invalid(name, 'must be a string');
  return v;
}

export function optionalString(body: Body, name: string, max: number): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(name, 'must be a string');
  if (v.length > max) throw invalid(name, `at most ${max} characters`);
  return v;
}

export function optionalInt(body: Body, name: string, min: number, max: number): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(name, `an integer from ${min} to ${max}`);
  return v;
}

export function oneOf<T extends string | number>(body: Body, name: string, values: readonly T[], required: boolean): T | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw new CscError('invalidRequest', { description: `Missing parameter ${name}` });
    return undefined;
  }
  if (!values.includes(v as T)) throw invalid(name, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
  return v as T;
}

export function matching(body: Body, name: string, pattern: RegExp, rule: string): string {
  const v = requiredString(body, name);
  if (!pattern.test(v)) throw invalid(name, rule);
  return v;
}
