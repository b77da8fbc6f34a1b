// Tolerant, exact input (issue #12 item 3) at the contract: an explicit null of an OPTIONAL parameter counts as absent,
// in both API versions and in nested objects, with "optional" read from the documents themselves; a REQUIRED
// parameter that is null is refused with the spec's wording; unknown fields are ignored; hashType (CSC v2.2) is
// accepted in any case and an unknown value is refused by name.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CscError } from '../../../core/errors.ts';
import { CSC_OPERATIONS, OPENAPI_YAML_PATH, parseRequest, validateRequest, type CscOperation } from '../../../openapi/validate.ts';
import { CSC_V1_OPERATIONS, OPENAPI_V1_YAML_PATH, parseV1Request, type CscV1Operation } from '../../../openapi/validate_v1.ts';
import { b64, ECDSA_SHA256, SHA256, V1_MINIMAL, V2_MINIMAL } from './request_fixtures.ts';

type Schema = { $ref?: string; properties?: Record<string, Schema>; required?: string[]; type?: unknown; allOf?: Schema[] };

/** The top-level properties of a method's request body and whether each is required, read from the document. */
function requestProperties(path: string, op: string): { name: string; required: boolean; nullable: boolean }[] {
  const doc = parse(readFileSync(path, 'utf8'));
  const resolve = (s: Schema): Schema => (s.$ref ? resolve(doc.components.schemas[s.$ref.split('/').pop()!]) : s);
  const schema = resolve(doc.paths[`/${op}`].post.requestBody.content['application/json'].schema);
  return Object.entries(schema.properties ?? {}).map(([name, prop]) => ({
    name,
    required: (schema.required ?? []).includes(name),
    nullable: Array.isArray(resolve(prop).type) && (resolve(prop).type as unknown[]).includes('null'),
  }));
}

function refusal(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (!(err instanceof CscError)) throw err;
    return `${err.toJSON().error}: ${err.toJSON().error_description}`;
  }
}

describe('explicit null of an optional parameter (both versions)', () => {
  it.each(CSC_OPERATIONS.filter((op) => V2_MINIMAL[op]))('v2 %s: every optional parameter may be null, and is then absent', (op) => {
    const optional = requestProperties(OPENAPI_YAML_PATH, op).filter((p) => !p.required && !p.nullable);
    expect(optional.length).toBeGreaterThan(0);
    for (const { name } of optional) {
      const body = { ...V2_MINIMAL[op], [name]: null };
      const parsed = parseRequest(op, body) as Record<string, unknown>;
      expect(Object.hasOwn(parsed, name), `${op} ${name}`).toBe(false);
      // The body as received is left as it was.
      expect(body[name]).toBeNull();
    }
  });

  it.each(CSC_V1_OPERATIONS.filter((op) => V1_MINIMAL[op]))('v1 %s: every optional parameter may be null, and is then absent', (op) => {
    for (const { name } of requestProperties(OPENAPI_V1_YAML_PATH, op).filter((p) => !p.required && !p.nullable)) {
      const parsed = parseV1Request(op as CscV1Operation, { ...V1_MINIMAL[op], [name]: null }) as Record<string, unknown>;
      expect(Object.hasOwn(parsed, name), `${op} ${name}`).toBe(false);
    }
  });

  it('refuses a REQUIRED parameter that is null with the spec wording (v2 and v1)', () => {
    expect(refusal(() => validateRequest('credentials/authorize', { credentialID: null, numSignatures: 1 }))).toBe(
      'invalid_request: Missing (or invalid type) string parameter credentialID',
    );
    expect(refusal(() => validateRequest('credentials/authorize', { credentialID: 'c', numSignatures: null }))).toBe(
      'invalid_request: Missing (or invalid type) integer parameter numSignatures',
    );
    expect(refusal(() => validateRequest('signatures/signHash', { credentialID: 'c', hashes: null, signAlgo: ECDSA_SHA256 }))).toBe(
      'invalid_request: Missing (or invalid type) array parameter hashes',
    );
    expect(refusal(() => parseV1Request('signatures/signHash', { credentialID: 'c', SAD: 's', hash: [b64()], signAlgo: null }))).toBe(
      'invalid_request: Missing (or invalid type) string parameter signAlgo',
    );
  });

  it('prunes nulls inside nested objects the schema describes, and keeps a required nested null refused', () => {
    const parsed = parseRequest('credentials/authorize', {
      credentialID: 'c',
      numSignatures: 1,
      hashes: [b64()],
      hashAlgorithmOID: SHA256,
      authData: [{ id: 'PIN', value: '1234' }, { id: 'OTP', value: null }],
      description: null,
      clientData: null,
    });
    expect(parsed).toEqual({ credentialID: 'c', numSignatures: 1, hashes: expect.any(Array), hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '1234' }, { id: 'OTP' }] });
    expect(refusal(() => validateRequest('credentials/authorize', { credentialID: 'c', numSignatures: 1, authData: [{ id: null, value: '1' }] }))).toBe(
      'invalid_request: Invalid parameter authData',
    );
  });

  it('keeps the null of a parameter whose schema admits null (credentials/list userID, CSC v2 §11.4)', () => {
    expect(parseRequest('credentials/list', { userID: null, credentialInfo: null })).toEqual({ userID: null });
  });

  it('returns the very body when there is nothing to prune, and never changes the body given', () => {
    const body = { credentialID: 'c', numSignatures: 2 };
    expect(parseRequest('credentials/authorize', body)).toBe(body);
    const withNull = Object.freeze({ credentialID: 'c', numSignatures: 2, description: null });
    expect(parseRequest('credentials/authorize', withNull)).toEqual({ credentialID: 'c', numSignatures: 2 });
  });

  it('treats a "__proto__" key as a plain field, never as the prototype', () => {
    const body = JSON.parse('{"credentialID":"c","numSignatures":1,"description":null,"__proto__":{"polluted":true}}');
    const parsed = parseRequest('credentials/authorize', body) as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect((parsed as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
  });
});

describe('unknown fields are ignored, never a refusal or a 500', () => {
  it.each(CSC_OPERATIONS.filter((op) => V2_MINIMAL[op]))('v2 %s', (op: CscOperation) => {
    const body = { ...V2_MINIMAL[op], futureField: { nested: [1, null] }, another: null, 'x-vendor': 'v' };
    expect(refusal(() => validateRequest(op, body))).toBe('ok');
  });
  it.each(CSC_V1_OPERATIONS.filter((op) => V1_MINIMAL[op]))('v1 %s', (op) => {
    expect(refusal(() => parseV1Request(op, { ...V1_MINIMAL[op], futureField: { nested: true } }))).toBe('ok');
  });
});

describe('hashType (CSC v2.2) on credentials/authorize and signatures/signHash', () => {
  it.each(['dtbsr', 'DTBSR', 'Dtbsr', 'sdr', 'SDR', 'sodr'])('accepts %s and keeps the caller spelling', (hashType) => {
    expect((parseRequest('signatures/signHash', { ...V2_MINIMAL['signatures/signHash'], hashType }) as { hashType?: string }).hashType).toBe(hashType);
    expect((parseRequest('credentials/authorize', { ...V2_MINIMAL['credentials/authorize'], hashType }) as { hashType?: string }).hashType).toBe(hashType);
  });

  it('treats hashType null as absent', () => {
    expect(parseRequest('signatures/signHash', { ...V2_MINIMAL['signatures/signHash'], hashType: null })).not.toHaveProperty('hashType');
  });

  it.each(['dtbs', 'sha256', '', 'dtbsr '])('refuses %j by name', (hashType) => {
    expect(refusal(() => validateRequest('signatures/signHash', { ...V2_MINIMAL['signatures/signHash'], hashType }))).toBe(
      'invalid_request: Invalid parameter hashType: expected dtbsr, sdr or sodr',
    );
  });
});
