// The wire contract: openapi/csc-v2.yaml compiled by openapi/validate.ts. Requests are refused with the exact
// CSC wording (CSC v2 §11.2 – §11.10 error tables); responses are checked against the closed response schemas.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parse } from 'yaml';
import { CscError } from '../../../core/errors.ts';
import type { CscRequest, CscResponse, InfoResponse, SignHashRequest } from '../../../openapi/types.ts';
import {
  CSC_OPERATIONS,
  OPENAPI_YAML_PATH,
  parseRequest,
  validateRequest,
  validateResponse,
  type CscOperation,
} from '../../../openapi/validate.ts';
import { b64, ECDSA_SHA256, SHA256, V2_MINIMAL } from './request_fixtures.ts';

const b64url = (n = 32) => randomBytes(n).toString('base64url');

/** The refusal validateRequest throws, or 'ok'. */
function refusal(op: CscOperation, body: unknown): { status: number; error: string; error_description: string } | 'ok' {
  try {
    validateRequest(op, body);
    return 'ok';
  } catch (err) {
    if (!(err instanceof CscError)) throw err;
    return { status: err.status, ...err.toJSON() };
  }
}
function description(op: CscOperation, body: unknown): string {
  const r = refusal(op, body);
  return r === 'ok' ? 'ok' : r.error_description;
}

const MINIMAL = V2_MINIMAL;

describe('the document', () => {
  const doc = parse(readFileSync(OPENAPI_YAML_PATH, 'utf8'));

  it('is an OpenAPI 3.1 document served under /csc/v2 with one POST per implemented method', () => {
    expect(isAbsolute(OPENAPI_YAML_PATH)).toBe(true);
    expect(existsSync(OPENAPI_YAML_PATH)).toBe(true);
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.servers[0].url).toBe('/csc/v2');
    expect(Object.keys(doc.paths).sort()).toEqual(CSC_OPERATIONS.map((op) => `/${op}`).sort());
    for (const op of CSC_OPERATIONS) expect(Object.keys(doc.paths[`/${op}`])).toEqual(['post']);
  });

  it('needs no authorization for info, Basic (or a refresh token alone) for auth/login, a bearer token elsewhere', () => {
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/info'].post.security).toEqual([]);
    expect(doc.paths['/auth/login'].post.security).toEqual([{ basicAuth: [] }, {}]);
    for (const op of CSC_OPERATIONS.filter((o) => o !== 'info' && o !== 'auth/login')) {
      expect(doc.paths[`/${op}`].post.security, op).toBeUndefined();
    }
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.basicAuth).toMatchObject({ type: 'http', scheme: 'basic' });
  });

  it('describes every refusal with the shared Error schema', () => {
    for (const op of CSC_OPERATIONS) {
      for (const [status, response] of Object.entries(doc.paths[`/${op}`].post.responses) as [string, { $ref?: string }][]) {
        if (status.startsWith('2')) continue;
        const resolved = doc.components.responses[response.$ref!.split('/').pop()!];
        expect(resolved.content['application/json'].schema, `${op} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
  });

  it('leaves request objects open to unknown fields and closes every response object', () => {
    for (const op of CSC_OPERATIONS) {
      const post = doc.paths[`/${op}`].post;
      const req = doc.components.schemas[post.requestBody.content['application/json'].schema.$ref.split('/').pop()];
      expect(req.additionalProperties, op).toBe(true);
      const ok = post.responses['200'];
      if (!ok) continue;
      const res = doc.components.schemas[ok.content['application/json'].schema.$ref.split('/').pop()];
      expect(res.additionalProperties === false || res.unevaluatedProperties === false, op).toBe(true);
    }
  });

  // That the generated types are up to date is scripts/openapi-check.sh's to say: `npm test` (scripts/test.sh) runs
  // it right before vitest, and CI with it. Run here a second time it regenerated four documents inside a unit test
  // (over 30 s on a loaded machine, where it timed out).

  it('generates request and response types with the spec field names and JSON types', () => {
    expectTypeOf<CscRequest<'signatures/signHash'>>().toEqualTypeOf<SignHashRequest>();
    expectTypeOf<SignHashRequest['hashes']>().toEqualTypeOf<string[]>();
    expectTypeOf<CscRequest<'credentials/authorize'>['numSignatures']>().toEqualTypeOf<number>();
    expectTypeOf<CscResponse<'info'>>().toEqualTypeOf<InfoResponse>();
    expectTypeOf<CscResponse<'credentials/info'>['SCAL']>().toEqualTypeOf<'1' | '2' | undefined>();
    expectTypeOf<CscResponse<'credentials/authorize'>>().toHaveProperty('expiresIn');
    expectTypeOf<CscResponse<'auth/revoke'>>().toBeNever();
  });
});

describe('validateRequest: valid bodies', () => {
  it('accepts the smallest valid body of each method', () => {
    for (const op of CSC_OPERATIONS) expect(refusal(op, MINIMAL[op]), op).toBe('ok');
  });

  it('accepts a body using every documented field of each method', () => {
    const full: Record<CscOperation, Record<string, unknown>> = {
      info: { lang: 'en-US' },
      'auth/login': { refresh_token: 'rt', rememberMe: true, clientData: 'tx-1' },
      'auth/revoke': { token: 'tok', token_type_hint: 'access_token', clientData: 'tx-1' },
      'credentials/list': {
        userID: 'alice', credentialInfo: true, certificates: 'none', certInfo: false, authInfo: true,
        onlyValid: true, lang: 'it-IT', clientData: 'tx-1',
      },
      'credentials/info': { credentialID: 'c', certificates: 'single', certInfo: true, authInfo: false, lang: 'en', clientData: '' },
      'credentials/authorize': {
        credentialID: 'c', numSignatures: 2, hashes: [b64(), b64()], hashAlgorithmOID: SHA256,
        authData: [{ id: 'PIN', value: '123456' }, { id: 'OTP', value: '000000' }, { id: 'OOB' }],
        description: 'x'.repeat(500), clientData: 'tx-1',
      },
      'credentials/authorizeCheck': { handle: 'h', clientData: 'tx-1' },
      'credentials/getChallenge': { credentialID: 'c', authObjectID: 'OTP', clientData: 'tx-1' },
      'credentials/extendTransaction': { credentialID: 'c', SAD: 's', hashes: [b64()], hashAlgorithmOID: SHA256, clientData: 'tx-1' },
      'signatures/signHash': {
        credentialID: 'c', SAD: 'eyJhbGciOiJFUzI1NiJ9.e30.sig', hashes: [b64(48)], hashAlgorithmOID: '2.16.840.1.101.3.4.2.2',
        signAlgo: '1.2.840.113549.1.1.10', signAlgoParams: 'MDSgDzANBglghkgBZQMEAgEFAKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQMEAgEFAKIDAgEg',
        operationMode: 'S', validity_period: 60_000, response_uri: 'https://app.example/done', clientData: 'tx-1',
      },
      'signatures/signDoc': {
        credentialID: 'c', signatureQualifier: 'eu_eidas_qes', SAD: 's',
        documents: [{
          document: 'JVBERi0=', signature_format: 'P', conformance_level: 'AdES-B-T', signAlgo: ECDSA_SHA256, signAlgoParams: 'AAAA',
          signed_envelope_property: 'Revision', signed_props: [{ attribute_name: 'Reason', attribute_value: 'YQ==' }], hashAlgorithmOID: SHA256,
        }],
        operationMode: 'S', validity_period: 60_000, response_uri: 'https://app.example/done', clientData: 'tx-1', returnValidationInfo: false,
      },
      'signatures/signPolling': { requestID: 'r-1', userID: null, clientData: 'tx-1' },
      'signatures/timestamp': { hash: b64(), hashAlgo: SHA256, hashAlgorithmOID: SHA256, nonce: 'C0FFEE01', clientData: 'tx-1' },
      'ext/signatureEvidence': { credentialID: 'c', hash: b64(), SAD: 'jti-1', clientData: 'tx-1' },
    };
    for (const op of CSC_OPERATIONS) expect(refusal(op, full[op]), op).toBe('ok');
  });

  it('accepts the sample requests of the specification', () => {
    const hashes = ['sTOgwOm+474gFj0q0x1iSNspKqbcse4IeiqlDg/HWuI=', 'c1RPZ3dPbSs0NzRnRmowcTB4MWlTTnNwS3FiY3NlNEllaXFsRGcvSFd1ST0='];
    const samples: [CscOperation, unknown][] = [
      ['info', {}], // §11.1
      ['auth/login', { rememberMe: true }], // §11.2
      ['auth/revoke', { token: '_TiHRG-bA-H3XlFQZ3ndFhkXf9P24/CKN69L8gdSYp5_pw', token_type_hint: 'refresh_token', clientData: '12345678' }],
      ['credentials/list', { credentialInfo: true, certificates: 'chain', certInfo: true, authInfo: true }], // §11.4
      ['credentials/info', { credentialID: 'GX0112348', certificates: 'chain', certInfo: true, authInfo: true }], // §11.5
      ['credentials/authorize', {
        credentialID: 'GX0112348', numSignatures: 2, hashes, hashAlgorithmOID: SHA256,
        authData: [{ id: 'PIN', value: '123456' }, { id: 'OTP', value: '738496' }], clientData: '12345678',
      }], // §11.6
      ['signatures/signHash', {
        credentialID: 'GX0112348', SAD: '_TiHRG-bAH3XlFQZ3ndFhkXf9P24/CKN69L8gdSYp5_pw', hashes, hashAlgorithmOID: SHA256,
        signAlgo: '1.2.840.113549.1.1.1', clientData: '12345678',
      }], // §11.10, first sample
      ['signatures/signHash', {
        credentialID: 'GX0112348', SAD: '_TiHRG-bAH3XlFQZ3ndFhkXf9P24/CKN69L8gdSYp5_pw', hashes, hashAlgorithmOID: SHA256,
        signAlgo: '1.2.840.113549.1.1.1', operationMode: 'A', clientData: '12345678',
      }], // §11.10, asynchronous sample
      ['signatures/signHash', {
        credentialID: 'GX0112348', hashes, hashAlgorithmOID: SHA256, signAlgo: '1.2.840.113549.1.1.1', operationMode: 'A',
        clientData: '12345678',
      }], // §11.10, credential-scoped bearer token instead of SAD
    ];
    for (const [op, body] of samples) expect(refusal(op, body), op).toBe('ok');
  });

  it('ignores fields it does not know', () => {
    expect(refusal('credentials/info', { credentialID: 'c', futureOption: { deep: [1, 2] }, another: null })).toBe('ok');
    expect(refusal('signatures/signHash', { ...MINIMAL['signatures/signHash'], documentDigests: 'whatever' })).toBe('ok');
  });

  it('accepts digests in standard or url-safe base64, padded or not, but not a mix of both alphabets', () => {
    const sign = (hashes: unknown[]) => description('signatures/signHash', { ...MINIMAL['signatures/signHash'], hashes });
    const digest = Buffer.from('fb>?fb>?fb>?fb>?fb>?fb>?fb>?fb>?fb>?fb>?'.slice(0, 32)); // bytes that need + and /
    expect(digest.toString('base64')).toMatch(/[+/]/);
    expect(sign([digest.toString('base64')])).toBe('ok');
    expect(sign([digest.toString('base64url')])).toBe('ok');
    expect(sign([digest.toString('base64').replace(/=+$/, '')])).toBe('ok');
    expect(sign([b64url(48), b64(64)])).toBe('ok');
    expect(sign(['ab+_'])).toBe('Invalid Base64 hash string parameter');
  });

  it('accepts userID null, since with a user-specific token it must be absent or null (CSC v2 §11.4)', () => {
    expect(refusal('credentials/list', { userID: null })).toBe('ok');
  });

  it('treats an absent body as {} where the body is optional, and returns the typed body', () => {
    expect(refusal('info', undefined)).toBe('ok');
    expect(refusal('auth/login', undefined)).toBe('ok');
    expect(refusal('credentials/list', undefined)).toBe('ok');
    expect(parseRequest('credentials/list', undefined)).toEqual({});
    const body = { credentialID: 'c', numSignatures: 3 };
    const parsed = parseRequest('credentials/authorize', body);
    expect(parsed).toBe(body);
    expectTypeOf(parsed.numSignatures).toEqualTypeOf<number>();
    expect(() => parseRequest('credentials/authorize', { credentialID: 'c' })).toThrowError(
      'Missing (or invalid type) integer parameter numSignatures',
    );
  });
});

describe('validateRequest: refusals', () => {
  it('refuses a body that is not a JSON object with notJson', () => {
    for (const body of [null, [], [{}], 'text', 42, true]) {
      expect(refusal('credentials/info', body)).toEqual({
        status: 400, error: 'invalid_request', error_description: 'The request body must be a JSON object',
      });
    }
    // Required bodies stay required.
    for (const op of ['auth/revoke', 'credentials/info', 'credentials/authorize', 'signatures/signHash'] as const) {
      expect(description(op, undefined), op).toBe('The request body must be a JSON object');
    }
  });

  it('reports a missing required field with its JSON type, as a 400 invalid_request', () => {
    expect(refusal('credentials/info', {})).toEqual({
      status: 400, error: 'invalid_request', error_description: 'Missing (or invalid type) string parameter credentialID',
    });
    expect(description('auth/revoke', {})).toBe('Missing (or invalid type) string parameter token');
    expect(description('credentials/authorize', { credentialID: 'c' })).toBe('Missing (or invalid type) integer parameter numSignatures');
    expect(description('signatures/signHash', { credentialID: 'c', signAlgo: ECDSA_SHA256 })).toBe(
      'Missing (or invalid type) array parameter hashes',
    );
    expect(description('signatures/signHash', { credentialID: 'c', hashes: [b64()] })).toBe(
      'Missing (or invalid type) string parameter signAlgo',
    );
  });

  // Each documented field of each method, given a JSON value of the wrong type (an object: no field is one).
  // The expected JSON types are those of the spec's parameter tables.
  const FIELD_TYPES: Record<CscOperation, Record<string, string>> = {
    info: { lang: 'string' },
    'auth/login': { refresh_token: 'string', rememberMe: 'boolean' },
    'auth/revoke': { token: 'string', token_type_hint: 'string' },
    'credentials/list': {
      userID: 'string', credentialInfo: 'boolean', certificates: 'string', certInfo: 'boolean', authInfo: 'boolean',
      onlyValid: 'boolean', lang: 'string',
    },
    'credentials/info': { credentialID: 'string', certificates: 'string', certInfo: 'boolean', authInfo: 'boolean', lang: 'string' },
    'credentials/authorize': {
      credentialID: 'string', numSignatures: 'integer', hashes: 'array', hashAlgorithmOID: 'string', authData: 'array',
      description: 'string',
    },
    'credentials/authorizeCheck': { handle: 'string' },
    'credentials/getChallenge': { credentialID: 'string', authObjectID: 'string' },
    'credentials/extendTransaction': { credentialID: 'string', SAD: 'string', hashes: 'array', hashAlgorithmOID: 'string' },
    'signatures/signHash': {
      credentialID: 'string', SAD: 'string', hashes: 'array', hashAlgorithmOID: 'string', signAlgo: 'string',
      signAlgoParams: 'string',
    },
    'signatures/signDoc': {
      // operationMode, validity_period and response_uri are worded "Invalid parameter …" (§11.10, as for signHash).
      credentialID: 'string', signatureQualifier: 'string', SAD: 'string', documentDigests: 'array', documents: 'array', returnValidationInfo: 'boolean',
    },
    'signatures/signPolling': { requestID: 'string' },
    // nonce is left out: §11.13 words any bad nonce "Invalid parameter nonce" (below).
    'signatures/timestamp': { hash: 'string', hashAlgo: 'string', hashAlgorithmOID: 'string' },
    'ext/signatureEvidence': { credentialID: 'string', hash: 'string', SAD: 'string' },
  };
  it('signatures/timestamp: the wordings of the §11.13 error table', () => {
    expect(description('signatures/timestamp', {})).toBe('Missing (or invalid type) string parameter hash');
    expect(description('signatures/timestamp', { hash: 12 })).toBe('Missing (or invalid type) string parameter hash');
    expect(description('signatures/timestamp', { hash: '' })).toBe('Empty hash parameter');
    expect(description('signatures/timestamp', { hash: 'not base64!' })).toBe('Invalid Base64 hash string parameter');
    expect(description('signatures/timestamp', { hash: b64(), hashAlgo: 'sha256' })).toBe('Invalid parameter hashAlgo');
    for (const nonce of ['xyz', '', 12, '0x12', 'a'.repeat(129)]) {
      expect(description('signatures/timestamp', { hash: b64(), nonce }), String(nonce)).toBe('Invalid parameter nonce');
    }
  });
  for (const op of CSC_OPERATIONS) {
    it(`${op}: a field of the wrong JSON type is "Missing (or invalid type) <type> parameter <name>"`, () => {
      for (const [name, type] of Object.entries(FIELD_TYPES[op])) {
        expect(description(op, { ...MINIMAL[op], [name]: { wrong: true } }), name).toBe(
          `Missing (or invalid type) ${type} parameter ${name}`,
        );
      }
    });
  }

  it('names a clientData that is not a string "Invalid parameter clientData" (CSC v2 §11.10), in every method taking it', () => {
    // info (§11.1) takes only lang: a clientData there is an unknown field, hence ignored.
    expect(description('info', { clientData: 12345678 })).toBe('ok');
    for (const op of CSC_OPERATIONS.filter((o) => o !== 'info')) {
      expect(description(op, { ...MINIMAL[op], clientData: 12345678 }), op).toBe('Invalid parameter clientData');
    }
  });

  it('distinguishes a wrong type from a wrong value of numSignatures (CSC v2 §11.6)', () => {
    const authorize = (numSignatures: unknown) => description('credentials/authorize', { credentialID: 'c', numSignatures });
    expect(authorize(0)).toBe('Invalid value for parameter numSignatures');
    expect(authorize(-3)).toBe('Invalid value for parameter numSignatures');
    expect(authorize(1.5)).toBe('Missing (or invalid type) integer parameter numSignatures');
    expect(authorize('2')).toBe('Missing (or invalid type) integer parameter numSignatures');
    expect(authorize(null)).toBe('Missing (or invalid type) integer parameter numSignatures');
    expect(authorize(1)).toBe('ok');
  });

  it('words digest problems as the signHash table does (CSC v2 §11.10), in signHash and authorize', () => {
    for (const op of ['signatures/signHash', 'credentials/authorize'] as const) {
      const withHashes = (hashes: unknown) => description(op, { ...MINIMAL[op], hashes });
      expect(withHashes([]), op).toBe('Empty hash array');
      expect(withHashes(Array.from({ length: 1001 }, () => b64())), op).toBe('Too many hashes: at most 1000 in one request');
      expect(withHashes(Array.from({ length: 1000 }, () => b64())), op).not.toBe('Too many hashes: at most 1000 in one request');
      expect(withHashes('sTOgwOm+474gFj0q0x1iSNspKqbcse4IeiqlDg/HWuI='), op).toBe('Missing (or invalid type) array parameter hashes');
      expect(withHashes([b64(), 'not base64!']), op).toBe('Invalid Base64 hash string parameter');
      expect(withHashes(['abc==']), op).toBe('Invalid Base64 hash string parameter');
      expect(withHashes(['']), op).toBe('Invalid Base64 hash string parameter');
      expect(withHashes([42]), op).toBe('Invalid Base64 hash string parameter');
      expect(withHashes([b64() + '\n']), op).toBe('Invalid Base64 hash string parameter');
    }
  });

  it('calls an enum, pattern or length violation "Invalid parameter <name>"', () => {
    expect(description('credentials/info', { credentialID: 'c', certificates: 'all' })).toBe('Invalid parameter certificates');
    expect(description('credentials/list', { certificates: 'CHAIN' })).toBe('Invalid parameter certificates');
    expect(description('credentials/info', { credentialID: '' })).toBe('Invalid parameter credentialID');
    const sign = MINIMAL['signatures/signHash'];
    expect(description('signatures/signHash', { ...sign, operationMode: 'X' })).toBe('Invalid parameter operationMode');
    expect(description('signatures/signHash', { ...sign, signAlgo: 'SHA256withECDSA' })).toBe('Invalid parameter signAlgo');
    expect(description('signatures/signHash', { ...sign, hashAlgorithmOID: 'sha-256' })).toBe('Invalid parameter hashAlgorithmOID');
    expect(description('signatures/signHash', { ...sign, hashAlgorithmOID: '2.16.840.1.101.3.4.2.01' })).toBe(
      'Invalid parameter hashAlgorithmOID',
    );
    expect(description('signatures/signHash', { ...sign, signAlgoParams: 'not*base64' })).toBe('Invalid parameter signAlgoParams');
    expect(description('signatures/signHash', { ...sign, operationMode: 'A', response_uri: 'not a uri' })).toBe('Invalid parameter response_uri');
    expect(description('signatures/signHash', { ...sign, SAD: '' })).toBe('Invalid parameter SAD');
    expect(description('credentials/authorize', { credentialID: 'c', numSignatures: 1, description: 'x'.repeat(501) })).toBe(
      'Invalid parameter description',
    );
    expect(description('credentials/authorize', { credentialID: 'c', numSignatures: 1, hashAlgorithmOID: '2.16.' })).toBe(
      'Invalid parameter hashAlgorithmOID',
    );
  });

  it('uses the spec wording for token, token_type_hint, refresh_token and validity_period', () => {
    expect(description('auth/revoke', { token: 'x', token_type_hint: 'id_token' })).toBe('Invalid string parameter token_type_hint');
    expect(description('auth/revoke', { token: '' })).toBe('Invalid string parameter token');
    expect(description('auth/login', { refresh_token: '' })).toBe('Invalid string parameter refresh_token');
    expect(description('signatures/signHash', { ...MINIMAL['signatures/signHash'], operationMode: 'A', validity_period: 0 })).toBe(
      'Out of bounds parameter validity_period',
    );
  });

  it('signatures/signHash: checks validity_period and response_uri in operationMode "A" only (CSC v2 §11.10)', () => {
    const sign = MINIMAL['signatures/signHash'];
    const odd = { validity_period: 'soon', response_uri: 'not a uri' };
    expect(description('signatures/signHash', { ...sign, ...odd })).toBe('ok');
    expect(description('signatures/signHash', { ...sign, ...odd, operationMode: 'S' })).toBe('ok');
    expect(description('signatures/signHash', { ...sign, operationMode: 'A', validity_period: 'soon' })).toBe('Invalid parameter validity_period');
    expect(description('signatures/signHash', { ...sign, operationMode: 'A', validity_period: 1.5 })).toBe('Invalid parameter validity_period');
    expect(description('signatures/signHash', { ...sign, operationMode: 'A', validity_period: -5 })).toBe('Out of bounds parameter validity_period');
    expect(description('signatures/signHash', { ...sign, operationMode: 'A', response_uri: 42 })).toBe('Invalid parameter response_uri');
    expect(description('signatures/signHash', { ...sign, operationMode: 7 })).toBe('Invalid parameter operationMode');
    expect(description('signatures/signHash', { ...sign, operationMode: 'A', validity_period: 60_000, response_uri: 'https://app.example/cb' })).toBe('ok');
  });

  it('reports a problem inside an authentication object against authData, without echoing its value', () => {
    const authorize = (authData: unknown) => description('credentials/authorize', { credentialID: 'c', numSignatures: 1, authData });
    expect(authorize([{ value: '482913' }])).toBe('Invalid parameter authData');
    expect(authorize([{ id: 'PIN', value: 482913 }])).toBe('Invalid parameter authData');
    expect(authorize(['482913'])).toBe('Invalid parameter authData');
    expect(authorize({ id: 'PIN', value: '482913' })).toBe('Missing (or invalid type) array parameter authData');
  });

  it('reports the first failing field in the order the document lists them, whatever the body order', () => {
    // signHash lists credentialID, SAD, hashes, hashAlgorithmOID, signAlgo, ...
    const bad = { signAlgo: 7, hashAlgorithmOID: 'x', hashes: [], SAD: 5, credentialID: 9, clientData: 1 };
    expect(description('signatures/signHash', bad)).toBe('Missing (or invalid type) string parameter credentialID');
    expect(description('signatures/signHash', { ...bad, credentialID: 'c' })).toBe('Missing (or invalid type) string parameter SAD');
    expect(description('signatures/signHash', { ...bad, credentialID: 'c', SAD: 's' })).toBe('Empty hash array');
    expect(description('signatures/signHash', { ...bad, credentialID: 'c', SAD: 's', hashes: [b64()] })).toBe(
      'Invalid parameter hashAlgorithmOID',
    );
    expect(description('signatures/signHash', { ...bad, credentialID: 'c', SAD: 's', hashes: [b64()], hashAlgorithmOID: SHA256 })).toBe(
      'Missing (or invalid type) string parameter signAlgo',
    );
    // A missing required field listed later does not hide an earlier invalid one.
    expect(description('credentials/authorize', { credentialID: '' })).toBe('Invalid parameter credentialID');
    // Within one field, the wrong type is reported rather than the value check that follows it.
    expect(description('credentials/info', { credentialID: 'c', certificates: 3 })).toBe(
      'Missing (or invalid type) string parameter certificates',
    );
  });

  it('throws CscError instances that serialize to { error, error_description }', () => {
    let caught: unknown;
    try {
      validateRequest('signatures/signHash', { credentialID: 'c', hashes: [], signAlgo: ECDSA_SHA256 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CscError);
    expect((caught as CscError).code).toBe('invalidRequest');
    expect(JSON.parse(JSON.stringify(caught))).toEqual({ error: 'invalid_request', error_description: 'Empty hash array' });
  });
});

describe('validateResponse', () => {
  const cert = b64(600);
  const ecDetails = () => ({
    description: 'Qualified signing key',
    signatureQualifier: 'eu_eidas_qes',
    key: { status: 'enabled', algo: [ECDSA_SHA256, '1.2.840.10045.4.3.3', '1.2.840.10045.2.1'], len: 256, curve: '1.2.840.10045.3.1.7' },
    cert: {
      status: 'valid', certificates: [cert, b64(500)], issuerDN: 'CN=Test CA,O=Example', serialNumber: '5AAC41CD8FA22B953640',
      subjectDN: 'CN=Alice,O=Example', validFrom: '20250101100000Z', validTo: '20280101095959Z',
    },
    auth: {
      mode: 'explicit', expression: 'PIN AND OTP',
      objects: [
        { type: 'Password', id: 'PIN', format: 'N', label: 'PIN', description: 'Your signing PIN' },
        { type: 'Password', id: 'OTP', format: 'N', generator: 'totp', label: 'Mobile OTP', description: 'The 6 digits of your app' },
      ],
    },
    SCAL: '2',
    multisign: 5,
    lang: 'en-US',
  });

  it('accepts the sample responses of the specification', () => {
    // §11.1
    expect(validateResponse('info', 200, {
      specs: '2.0.0.0', name: 'ACME Trust Services', logo: 'https://service.domain.org/images/logo.png', region: 'IT',
      lang: 'en-US', description: 'An efficient remote signature service', authType: ['basic', 'oauth2code'],
      oauth2: 'https://www.domain.org/',
      methods: ['auth/login', 'auth/revoke', 'credentials/list', 'credentials/info', 'credentials/authorize', 'credentials/sendOTP', 'signatures/signHash'],
      signAlgorithms: { algos: [ECDSA_SHA256, '1.2.840.113549.1.1.1', '1.2.840.113549.1.1.10'] },
      signature_formats: {
        formats: ['C', 'X', 'P'],
        envelope_properties: [['Detached', 'Attached', 'Parallel'], ['Enveloped', 'Enveloping', 'Detached'], ['Certification', 'Revision']],
      },
      conformance_levels: ['Ades-B-B', 'Ades-B-T'],
    })).toEqual([]);
    // §11.2
    expect(validateResponse('auth/login', 200, {
      access_token: '4/CKN69L8gdSYp5_pwH3XlFQZ3ndFhkXf9P2_TiHRG-bA', refresh_token: '_TiHRG-bA-H3XlFQZ3ndFhkXf9P24/CKN69L8gdSYp5_pw',
      expires_in: 3600,
    })).toEqual([]);
    // §11.3
    expect(validateResponse('auth/revoke', 204, undefined)).toEqual([]);
    // §11.6 (the sample omits expiresIn)
    expect(validateResponse('credentials/authorize', 200, { SAD: '_TiHRG-bAH3XlFQZ3ndFhkXf9P24/CKN69L8gdSYp5_pw' })).toEqual([]);
    // §11.10
    expect(validateResponse('signatures/signHash', 200, {
      signatures: ['KedJuTob5gtvYx9qM3k3gm7kbLBwVbEQRl26S2tmXjqNND7MRGtoew==', 'Idhef7xzgtvYx9qM3k3gm7kbLBwVbE98239S2tm8hUh85KKsfdowel=='],
    })).toEqual([]);
  });

  it('accepts full credentials/info and credentials/list answers', () => {
    expect(validateResponse('credentials/info', 200, ecDetails())).toEqual([]);
    const rsa = { ...ecDetails(), key: { status: 'disabled', algo: ['1.2.840.113549.1.1.11', '1.2.840.113549.1.1.10'], len: 3072 } };
    expect(validateResponse('credentials/info', 200, rsa)).toEqual([]);
    expect(validateResponse('credentials/info', 200, { ...ecDetails(), cert: undefined, auth: { mode: 'oauth2code' } })).toEqual([]);
    expect(validateResponse('credentials/list', 200, {
      credentialIDs: ['GX0112348', 'HX0224685'],
      credentialInfos: [{ credentialID: 'GX0112348', ...ecDetails() }, { credentialID: 'HX0224685', ...rsa }],
      onlyValid: true,
    })).toEqual([]);
    expect(validateResponse('credentials/list', 200, { credentialIDs: [] })).toEqual([]);
  });

  it('refuses answers that break the CSC wire facts (DESIGN §8)', () => {
    const problems = (op: CscOperation, body: unknown) => validateResponse(op, 200, body);
    expect(problems('credentials/authorize', { SAD: 's', expires_in: 300 })).toEqual(['(body) must NOT have additional properties (expires_in)']);
    expect(problems('credentials/info', { ...ecDetails(), SCAL: 2 })).toContain('/SCAL must be string');
    expect(problems('credentials/info', { ...ecDetails(), multisign: undefined })).toContain("(body) must have required property 'multisign'");
    expect(problems('credentials/info', { ...ecDetails(), multisign: 0 })).toContain('/multisign must be >= 1');
    const noCurve = ecDetails();
    delete (noCurve.key as { curve?: string }).curve;
    expect(problems('credentials/info', noCurve)).toContain("/key must have required property 'curve'");
    const badCert = ecDetails();
    badCert.cert.serialNumber = '0x5A';
    badCert.cert.validTo = '2028-01-01T09:59:59Z';
    badCert.cert.certificates = [b64url(600).replace(/=/g, '') + '-_'];
    expect(problems('credentials/info', badCert)).toEqual(expect.arrayContaining([
      '/cert/serialNumber must match pattern "^[0-9A-Fa-f]+$"',
      '/cert/validTo must match pattern "^[0-9]{14}Z$"',
      expect.stringMatching(/^\/cert\/certificates\/0 must match pattern/),
    ]));
    expect(problems('credentials/info', { ...ecDetails(), auth: { mode: 'oauth2code', objects: [] } })).toContain('/auth must NOT be valid');
    expect(problems('credentials/info', { ...ecDetails(), credentialID: 'c' })).toEqual([
      '(body) must NOT have unevaluated properties (credentialID)',
    ]);
    expect(problems('credentials/list', { credentialIDs: ['a'], credentialInfos: [ecDetails()] })).toContain(
      "/credentialInfos/0 must have required property 'credentialID'",
    );
    expect(problems('signatures/signHash', { signatures: [b64url(64).replace(/=/g, '') + '_-'] })[0]).toMatch(/^\/signatures\/0 must match pattern/);
    expect(problems('signatures/signHash', { signatures: [] })).toEqual(['/signatures must NOT have fewer than 1 items']);
    expect(problems('auth/login', { access_token: 't', expires_in: '3600' })).toEqual(['/expires_in must be integer']);
  });

  it('refuses an info answer that offers OAuth without saying where the authorization server is', () => {
    const info = {
      specs: '2.0.0.2', name: 'RSSP', logo: 'https://rssp.example/logo.png', region: 'DE', lang: 'en', description: 'Remote signing',
      authType: ['basic', 'oauth2code'], methods: ['credentials/list'], signAlgorithms: { algos: [ECDSA_SHA256] },
      signature_formats: { formats: [] }, conformance_levels: [],
    };
    expect(validateResponse('info', 200, info)).toContain('(body) must match "then" schema');
    expect(validateResponse('info', 200, { ...info, oauth2Issuer: 'https://rssp.example' })).toEqual([]);
    expect(validateResponse('info', 200, { ...info, authType: ['basic'] })).toEqual([]);
    expect(validateResponse('info', 200, { ...info, region: 'Germany', authType: ['basic'] })).toEqual([
      '/region must match pattern "^[A-Z]{2}$"',
    ]);
  });

  it('checks refusals of every method against the Error schema', () => {
    for (const op of CSC_OPERATIONS) {
      expect(validateResponse(op, 400, { error: 'invalid_request', error_description: 'Invalid parameter x' }), op).toEqual([]);
      expect(validateResponse(op, 500, { error: 'server_error' }), op).toEqual([]);
      expect(validateResponse(op, 503, { error: 'temporarily_unavailable', error_description: 'later' }), op).toEqual([]);
      expect(validateResponse(op, 400, { error_description: 'no code' }), op).toEqual(["(body) must have required property 'error'"]);
      expect(validateResponse(op, 429, { error: 'access_denied', message: 'slow down' }), op).toEqual([
        '(body) must NOT have additional properties (message)',
      ]);
    }
    expect(validateResponse('signatures/signHash', 401, { error: 'invalid_token', error_description: 'x' })).toEqual([]);
  });

  it('refuses statuses the document does not declare and bodies on 204', () => {
    expect(validateResponse('info', 401, { error: 'invalid_token' })).toEqual(['status 401 is not documented for info']);
    expect(validateResponse('credentials/list', 404, { error: 'invalid_request' })).toEqual(['status 404 is not documented for credentials/list']);
    expect(validateResponse('auth/revoke', 200, {})).toEqual(['status 200 is not documented for auth/revoke']);
    expect(validateResponse('auth/revoke', 204, '')).toEqual([]);
    expect(validateResponse('auth/revoke', 204, {})).toEqual([]);
    expect(validateResponse('auth/revoke', 204, { revoked: true })).toEqual(['status 204 of auth/revoke has no body, got {"revoked":true}']);
  });
});
