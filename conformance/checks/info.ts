// info (CSC v2 §11.1, §7.4): the one method every service implements, and the map a signature application uses to
// decide what to call. Its shape must be right and its method list must tell the truth.
import { type Check, fail, failIfAny, type Group, skip } from '../check.ts';
import { isObject, isStringArray } from '../encodings.ts';
import { expectJsonOk, isJsonContentType } from '../expect_error.ts';
import { describeAnswer } from '../http_client.ts';
import { DOTTED_OID } from '../oids.ts';
import type { Session } from '../session.ts';
import { CSC_V2_METHODS, OAUTH2_METHODS } from './methods.ts';

const AUTH_TYPES = ['external', 'TLS', 'basic', 'digest', 'oauth2code', 'oauth2client'];

const available: Check<Session> = {
  id: 'info.available',
  title: 'info answers 200 with a JSON object',
  clause: 'CSC v2 §11.1, §7.1',
  async run(s) {
    const a = await s.http.post('info', { json: {} });
    s.info = expectJsonOk(a, 'info {}');
    return `name "${String(s.info.name)}", specs ${String(s.info.specs)}`;
  },
};

const requiredFields: Check<Session> = {
  id: 'info.required_fields',
  title: 'info carries every REQUIRED output with its type',
  clause: 'CSC v2 §11.1 Output',
  async run(s) {
    const i = s.needInfo();
    const issues: string[] = [];
    for (const k of ['specs', 'name', 'logo', 'region', 'lang', 'description']) {
      if (typeof i[k] !== 'string') issues.push(`${k} is ${i[k] === undefined ? 'missing' : `not a string (${JSON.stringify(i[k])})`}`);
    }
    if (typeof i.specs === 'string' && !/^2\.\d+\.\d+\.\d+$/.test(i.specs)) issues.push(`specs "${i.specs}" is not 2.Minor.x.y`);
    if (typeof i.name === 'string' && i.name.length > 255) issues.push('name longer than 255 characters');
    if (typeof i.description === 'string' && i.description.length > 255) issues.push('description longer than 255 characters');
    if (typeof i.region === 'string' && !/^[A-Z]{2}$/.test(i.region)) issues.push(`region "${i.region}" is not an ISO 3166-1 alpha-2 code`);
    if (typeof i.logo === 'string' && !/^https?:\/\//.test(i.logo)) issues.push(`logo "${i.logo}" is not an http(s) URI`);
    if (!isStringArray(i.methods)) issues.push('methods is not an array of strings');
    if (!isObject(i.signAlgorithms)) issues.push('signAlgorithms is not an object');
    if (!isObject(i.signature_formats)) issues.push('signature_formats is not an object');
    if (!isStringArray(i.conformance_levels)) issues.push('conformance_levels is not an array of strings');
    if (i.asynchronousOperationMode !== undefined && typeof i.asynchronousOperationMode !== 'boolean') issues.push('asynchronousOperationMode is not a boolean');
    failIfAny(issues);
    return 'specs, name, logo, region, lang, description, methods, signAlgorithms, signature_formats, conformance_levels present';
  },
};

const authType: Check<Session> = {
  id: 'info.auth_type',
  title: 'authType lists known mechanisms; oauth2 or oauth2Issuer when OAuth is offered',
  clause: 'CSC v2 §11.1 authType, oauth2, oauth2Issuer',
  async run(s) {
    const i = s.needInfo();
    if (!isStringArray(i.authType) || i.authType.length === 0) fail('authType is not a non-empty array of strings');
    const types = i.authType as string[];
    const issues = types.filter((t) => !AUTH_TYPES.includes(t)).map((t) => `unknown authType "${t}"`);
    if (types.some((t) => t.startsWith('oauth2')) && typeof i.oauth2 !== 'string' && typeof i.oauth2Issuer !== 'string') {
      issues.push('OAuth 2.0 is offered but neither oauth2 nor oauth2Issuer is given');
    }
    failIfAny(issues);
    return `authType ${JSON.stringify(types)}`;
  },
};

const signAlgorithms: Check<Session> = {
  id: 'info.sign_algorithms',
  title: 'signAlgorithms.algos lists dotted OIDs',
  clause: 'CSC v2 §11.1 signAlgorithms, §7.6',
  async run(s) {
    const sa = s.needInfo().signAlgorithms;
    if (!isObject(sa) || !isStringArray(sa.algos) || sa.algos.length === 0) fail('signAlgorithms.algos is not a non-empty array of strings');
    const algos = (sa as { algos: string[] }).algos;
    failIfAny(algos.filter((a) => !DOTTED_OID.test(a)).map((a) => `"${a}" is not a dotted OID`));
    if (isObject(sa) && sa.algoParams !== undefined && !isStringArray(sa.algoParams)) fail('signAlgorithms.algoParams is not an array of strings');
    return `${algos.length} algorithms`;
  },
};

const methodsKnown: Check<Session> = {
  id: 'info.methods_known',
  title: 'methods names only methods of the specification',
  clause: 'CSC v2 §11.1 methods, §11 Table 4',
  async run(s) {
    s.needInfo();
    const known = new Set<string>([...CSC_V2_METHODS, ...OAUTH2_METHODS]);
    const unknown = s.methods.filter((m) => !known.has(m));
    if (!s.offers('info')) unknown.push('(info itself is not listed)');
    failIfAny(unknown.map((m) => `"${m}" is not a CSC v2 method`));
    return `${s.methods.length} methods`;
  },
};

const listedAnswer: Check<Session> = {
  id: 'info.listed_methods_answer',
  title: 'every method listed in info is really there',
  clause: 'CSC v2 §11.1 methods, §10 Table 2',
  async run(s) {
    s.needInfo();
    const probe = s.methods.filter((m) => m !== 'info' && (CSC_V2_METHODS as readonly string[]).includes(m));
    const issues: string[] = [];
    for (const m of probe) {
      const a = await s.http.post(m, { json: {} });
      // Without a token a real method refuses with 400/401; 404, 405 and 501 say the method is not there.
      if ([404, 405, 501].includes(a.status)) issues.push(`${m} is listed but answers ${a.status}`);
      else if (!isJsonContentType(a.contentType)) issues.push(`${m} answers without a JSON body: ${describeAnswer(a)}`);
    }
    failIfAny(issues);
    return `${probe.length} listed methods answer (${probe.join(', ')})`;
  },
};

const unlistedRefused: Check<Session> = {
  id: 'info.unlisted_methods_refused',
  title: 'methods not listed in info do not answer as if implemented',
  clause: 'CSC v2 §11.1 methods, §10 Table 2 (501)',
  async run(s) {
    s.needInfo();
    const unlisted = CSC_V2_METHODS.filter((m) => !s.offers(m));
    const issues: string[] = [];
    const seen: string[] = [];
    for (const m of unlisted) {
      const a = await s.http.post(m, { json: {} });
      seen.push(`${m} ${a.status}`);
      if (a.status === 429) continue; // throttled: no evidence either way
      // 400/401 would be the answer of a method that exists and wants parameters or a token.
      if (![404, 405, 501].includes(a.status)) issues.push(`${m} is not listed but answers ${a.status} (expected 501 Not Implemented, or 404)`);
    }
    failIfAny(issues);
    return unlisted.length ? seen.join(', ') : 'every method of the specification is listed';
  },
};

const lang: Check<Session> = {
  id: 'info.lang',
  title: 'info accepts lang and answers in a language it names',
  clause: 'CSC v2 §11.1 lang',
  async run(s) {
    s.needInfo();
    const body = expectJsonOk(await s.http.post('info', { json: { lang: 'en' } }), 'info {"lang":"en"}');
    if (typeof body.lang !== 'string' || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(body.lang)) fail(`lang ${JSON.stringify(body.lang)} is not an RFC 5646 tag`);
    return `lang "${String(body.lang)}"`;
  },
};

/** RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path. */
export function metadataUrl(issuer: string): string {
  const u = new URL(issuer);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return `${u.origin}/.well-known/oauth-authorization-server${path}`;
}

const oauthMetadata: Check<Session> = {
  id: 'info.oauth2_issuer_metadata',
  title: 'oauth2Issuer publishes authorization server metadata that names it',
  clause: 'CSC v2 §11.1 oauth2Issuer, RFC 8414 §3',
  async run(s) {
    const i = s.needInfo();
    if (typeof i.oauth2Issuer !== 'string') skip(typeof i.oauth2 === 'string' ? 'only the oauth2 base URI is given; its endpoints are not probed' : 'OAuth 2.0 is not offered');
    const issuer = i.oauth2Issuer as string;
    let url: string;
    try {
      url = metadataUrl(issuer);
    } catch {
      return fail(`oauth2Issuer "${issuer}" is not a URL`);
    }
    const a = await s.http.get(url);
    if (a.status !== 200 || !isObject(a.json)) fail(`GET ${url}: expected 200 with a JSON object, got ${describeAnswer(a)}`);
    const m = a.json as Record<string, unknown>;
    const issues: string[] = [];
    // RFC 8414 §3.3: the issuer in the metadata is identical to the one the client was given.
    if (m.issuer !== issuer) issues.push(`metadata issuer ${JSON.stringify(m.issuer)} differs from oauth2Issuer "${issuer}"`);
    for (const k of ['authorization_endpoint', 'token_endpoint']) if (typeof m[k] !== 'string') issues.push(`metadata has no ${k}`);
    failIfAny(issues);
    return `${url}: issuer matches, authorization and token endpoints given`;
  },
};

export const infoGroup: Group<Session> = {
  name: 'info',
  checks: () => [available, requiredFields, authType, oauthMetadata, signAlgorithms, methodsKnown, listedAnswer, unlistedRefused, lang],
};
