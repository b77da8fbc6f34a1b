// A minimal CSC v1.0.4.0 client for the black-box tests of /csc/v1: every response is checked for
// `Content-Type: application/json` (204 excepted) and validated against openapi/csc-v1.yaml.
import { expect } from 'vitest';
import { type CscV1Operation, validateV1Response } from '../../openapi/validate_v1.ts';
import type { Server } from './harness.ts';

export type V1Response = { status: number; body: any; headers: Headers };

export async function v1(
  server: Server,
  op: CscV1Operation,
  body: unknown,
  auth?: { bearer?: string; basic?: [string, string] },
): Promise<V1Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth?.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth?.basic) headers.authorization = `Basic ${Buffer.from(auth.basic.join(':')).toString('base64')}`;
  const res = await fetch(`${server.url}/csc/v1/${op}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status === 204) {
    expect(text).toBe('');
    expect(validateV1Response(op, 204, undefined)).toEqual([]);
    return { status: 204, body: undefined, headers: res.headers };
  }
  expect(res.headers.get('content-type'), `${op} ${res.status}`).toMatch(/^application\/json/);
  const parsed = JSON.parse(text);
  expect(validateV1Response(op, res.status, parsed), `${op} ${res.status} ${text}`).toEqual([]);
  return { status: res.status, body: parsed, headers: res.headers };
}
