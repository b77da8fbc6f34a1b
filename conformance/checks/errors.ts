// Malformed input must be refused with the error model of CSC v2 §10.1 — a 4xx status, application/json, a JSON
// object with `error` — and never with a 500: a server error on client input is a bug, and often a crash path.
import { createHash, randomBytes } from 'node:crypto';
import { type Check, fail, type Group, skip } from '../check.ts';
import { expectCscError, type ErrorExpectation } from '../expect_error.ts';
import type { Body } from '../http_client.ts';
import type { Session } from '../session.ts';
import { TOKEN_METHODS } from './methods.ts';

type Probe = {
  id: string;
  title: string;
  clause: string;
  method: string;
  /** What to send; a function when it depends on what earlier groups found. */
  body: Body | ((s: Session) => Body);
  auth: 'none' | 'token' | { header: string };
  expect: ErrorExpectation;
  /** A name outside the specification, probed on purpose: not expected in info.methods. */
  unlisted?: true;
};

function probeCheck(p: Probe): Check<Session> {
  return {
    id: p.id,
    title: p.title,
    clause: p.clause,
    async run(s) {
      if (!p.unlisted) s.needMethod(p.method);
      const authorization = p.auth === 'none' ? undefined : p.auth === 'token' ? s.bearer() : p.auth.header;
      const body = typeof p.body === 'function' ? p.body(s) : p.body;
      const answer = await s.http.post(p.method, body, authorization);
      s.refusals.push({ what: `${p.method} ${p.title}`, answer });
      return expectCscError(answer, p.method, p.expect);
    },
  };
}

const BAD_REQUEST: ErrorExpectation = { statuses: [400], error: 'invalid_request' };
// Before looking at a body, a method that needs a token may refuse for the missing token: both are right.
const BAD_REQUEST_OR_UNAUTHORIZED: ErrorExpectation = { statuses: [400, 401] };

function credentialID(s: Session): string {
  return s.credential?.id ?? s.credentialIDs?.[0] ?? skip('no credential to address');
}

const sha256Of = (label: string) => createHash('sha256').update(`conformance kit ${label}`).digest('base64');

function probesFor(s: Session): Probe[] {
  const probes: Probe[] = [
    {
      id: 'errors.unknown_method',
      title: 'a method name that is not in the specification',
      clause: 'CSC v2 §10.1, §7.2',
      method: 'conformance/noSuchMethod',
      body: { json: {} },
      auth: 'none',
      expect: { statuses: [404, 400, 501] },
      unlisted: true,
    },
  ];
  for (const m of s.methods.filter((m) => m !== 'info' && !m.startsWith('oauth2/'))) {
    const needsToken = TOKEN_METHODS.includes(m);
    probes.push(
      {
        id: `errors.not_json[${m}]`,
        title: 'a body that is not JSON',
        clause: 'CSC v2 §7.1, §10.1',
        method: m,
        body: { raw: '{"this is": not json' },
        auth: needsToken && s.token ? 'token' : 'none',
        expect: BAD_REQUEST_OR_UNAUTHORIZED,
      },
      {
        id: `errors.json_array[${m}]`,
        title: 'a JSON array instead of an object',
        clause: 'CSC v2 §7.1, §10.1',
        method: m,
        body: { raw: '[1,2,3]' },
        auth: needsToken && s.token ? 'token' : 'none',
        expect: BAD_REQUEST_OR_UNAUTHORIZED,
      },
    );
    if (needsToken) {
      probes.push(
        {
          id: `errors.missing_token[${m}]`,
          title: 'no Authorization header',
          clause: 'CSC v2 §8.1, §10 Table 2',
          method: m,
          body: { json: {} },
          auth: 'none',
          expect: { statuses: [401, 400] },
        },
        {
          id: `errors.invalid_token[${m}]`,
          title: 'a Bearer token the service never issued',
          clause: 'CSC v2 §10 Table 2 (401), RFC 6750 §3.1',
          method: m,
          body: { json: {} },
          auth: { header: `Bearer conformance-kit-${randomBytes(16).toString('hex')}` },
          expect: { statuses: [401], error: ['invalid_token', 'expired_token', 'invalid_request'] },
        },
      );
    }
  }
  if (s.offers('info')) {
    probes.push(
      {
        id: 'errors.not_json[info]',
        title: 'a body that is not JSON',
        clause: 'CSC v2 §7.1, §10.1',
        method: 'info',
        body: { raw: '{"lang": ' },
        auth: 'none',
        expect: BAD_REQUEST,
      },
      {
        id: 'errors.wrong_type[info.lang]',
        title: 'lang of the wrong type',
        clause: 'CSC v2 §11.1 Input, §10.1',
        method: 'info',
        body: { json: { lang: 42 } },
        auth: 'none',
        expect: BAD_REQUEST,
      },
    );
  }
  const withToken = (p: Omit<Probe, 'auth'>): Probe => ({ ...p, auth: 'token' });
  probes.push(
    {
      id: 'errors.malformed_authorization[credentials/list]',
      title: 'an Authorization header that is not "Bearer <token>"',
      clause: 'CSC v2 §11.4 errors',
      method: 'credentials/list',
      body: { json: {} },
      auth: { header: 'Bearer' },
      expect: { statuses: [400, 401] },
    },
    withToken({
      id: 'errors.missing_token_parameter[auth/revoke]',
      title: 'no token parameter',
      clause: 'CSC v2 §11.3 errors',
      method: 'auth/revoke',
      body: { json: {} },
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.invalid_token_type_hint[auth/revoke]',
      title: 'token_type_hint outside access_token|refresh_token',
      clause: 'CSC v2 §11.3 errors',
      method: 'auth/revoke',
      // Not the session's own token: a lenient service might revoke it despite the bad hint.
      body: { json: { token: `conformance-kit-${randomBytes(16).toString('hex')}`, token_type_hint: 'session_key' } },
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.invalid_certificates[credentials/list]',
      title: 'certificates outside none|single|chain',
      clause: 'CSC v2 §11.4 errors',
      method: 'credentials/list',
      body: { json: { credentialInfo: true, certificates: 'everything' } },
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.missing_credential_id[credentials/info]',
      title: 'no credentialID',
      clause: 'CSC v2 §11.5 errors',
      method: 'credentials/info',
      body: { json: {} },
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.wrong_type[credentials/info.credentialID]',
      title: 'credentialID of the wrong type',
      clause: 'CSC v2 §11.5 errors',
      method: 'credentials/info',
      body: { json: { credentialID: 12345 } },
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.unknown_credential[credentials/info]',
      title: 'a credentialID the signer does not have',
      clause: 'CSC v2 §11.5 errors',
      method: 'credentials/info',
      body: { json: { credentialID: `conformance-kit-${randomBytes(8).toString('hex')}` } },
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.invalid_certificates[credentials/info]',
      title: 'certificates outside none|single|chain',
      clause: 'CSC v2 §11.5 errors',
      method: 'credentials/info',
      body: (s2) => ({ json: { credentialID: credentialID(s2), certificates: 'everything' } }),
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.invalid_num_signatures[credentials/authorize]',
      title: 'numSignatures 0',
      clause: 'CSC v2 §11.6 errors',
      method: 'credentials/authorize',
      body: (s2) => ({ json: { credentialID: credentialID(s2), numSignatures: 0, hashes: [sha256Of('a')], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1' } }),
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.wrong_type[credentials/authorize.numSignatures]',
      title: 'numSignatures as a string',
      clause: 'CSC v2 §11.6 errors',
      method: 'credentials/authorize',
      body: (s2) => ({ json: { credentialID: credentialID(s2), numSignatures: 'one', hashes: [sha256Of('a')], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1' } }),
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.missing_sad[signatures/signHash]',
      title: 'no SAD with a service token',
      clause: 'CSC v2 §11.10 errors',
      method: 'signatures/signHash',
      body: (s2) => ({ json: { credentialID: credentialID(s2), hashes: [sha256Of('a')], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: '1.2.840.10045.4.3.2' } }),
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.invalid_sad[signatures/signHash]',
      title: 'a SAD the service never issued',
      clause: 'CSC v2 §11.10 errors',
      method: 'signatures/signHash',
      body: (s2) => ({
        json: { credentialID: credentialID(s2), SAD: `conformance-kit-${randomBytes(16).toString('hex')}`, hashes: [sha256Of('a')], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: '1.2.840.10045.4.3.2' },
      }),
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.invalid_base64[signatures/signHash]',
      title: 'a hash that is not base64',
      clause: 'CSC v2 §11.10 errors, §5.2',
      method: 'signatures/signHash',
      body: (s2) => ({
        json: { credentialID: credentialID(s2), SAD: `conformance-kit-${randomBytes(16).toString('hex')}`, hashes: ['%%% not base64 %%%'], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: '1.2.840.10045.4.3.2' },
      }),
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.empty_hashes[signatures/signHash]',
      title: 'an empty hash array',
      clause: 'CSC v2 §11.10 errors',
      method: 'signatures/signHash',
      body: (s2) => ({
        json: { credentialID: credentialID(s2), SAD: `conformance-kit-${randomBytes(16).toString('hex')}`, hashes: [], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: '1.2.840.10045.4.3.2' },
      }),
      expect: BAD_REQUEST,
    }),
    withToken({
      id: 'errors.invalid_operation_mode[signatures/signHash]',
      title: 'operationMode other than "A" or "S"',
      clause: 'CSC v2 §11.10 errors (operationMode)',
      method: 'signatures/signHash',
      body: (s2) => ({
        json: { credentialID: credentialID(s2), SAD: `conformance-kit-${randomBytes(16).toString('hex')}`, hashes: [sha256Of('a')], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: '1.2.840.10045.4.3.2', operationMode: 'X' },
      }),
      expect: BAD_REQUEST,
    }),
  );
  // Asynchronous signing (§11.10 operationMode "A", §11.12): probed only where info says it is offered.
  if (s.info?.asynchronousOperationMode === true) {
    probes.push(withToken({
      id: 'errors.validity_period_out_of_bounds[signatures/signHash]',
      title: 'operationMode "A" with validity_period 0',
      clause: 'CSC v2 §11.10 errors (validity_period), §11.1 asynchronousOperationMode',
      method: 'signatures/signHash',
      body: (s2) => ({
        json: {
          credentialID: credentialID(s2), SAD: `conformance-kit-${randomBytes(16).toString('hex')}`, hashes: [sha256Of('a')], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
          signAlgo: '1.2.840.10045.4.3.2', operationMode: 'A', validity_period: 0,
        },
      }),
      expect: BAD_REQUEST,
    }));
  }
  if (s.offers('signatures/signPolling')) {
    probes.push(
      withToken({
        id: 'errors.missing_request_id[signatures/signPolling]',
        title: 'no requestID',
        clause: 'CSC v2 §11.12 errors',
        method: 'signatures/signPolling',
        body: { json: {} },
        expect: BAD_REQUEST,
      }),
      withToken({
        id: 'errors.unknown_request_id[signatures/signPolling]',
        title: 'a requestID the service never returned',
        clause: 'CSC v2 §11.12 errors',
        method: 'signatures/signPolling',
        body: { json: { requestID: `conformance-kit-${randomBytes(16).toString('hex')}` } },
        expect: BAD_REQUEST,
      }),
    );
  }
  return probes;
}

const errorDescriptions: Check<Session> = {
  id: 'errors.error_description',
  title: 'refusals explain themselves with error_description',
  clause: 'CSC v2 §10.1 (error_description highly RECOMMENDED)',
  async run(s) {
    const refusals = s.refusals.filter(({ answer }) => answer.status >= 400);
    if (!refusals.length) skip('no refusal was provoked');
    const without = refusals.filter(({ answer }) => {
      const j = answer.json as Record<string, unknown> | undefined;
      return !(j && typeof j.error_description === 'string' && j.error_description.length > 0);
    });
    if (without.length) fail(`${without.length} of ${refusals.length} refusals have no error_description: ${without.map((r) => r.what).join(', ')}`);
    return `${refusals.length} refusals carry error_description`;
  },
};

export const errorsGroup: Group<Session> = {
  name: 'errors',
  checks: (s) => [...probesFor(s).map(probeCheck), errorDescriptions],
};
