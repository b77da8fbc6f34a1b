// Profile `eudi-rqes`: what the EUDI Wallet's rQES library (eu-digital-identity-wallet/eudi-lib-jvm-rqes-csc-kt, and
// the models of A-SIT's csc-data-classes it shares) requires of a CSC v2.2 server. Its info parser is a typed model:
// authType, methods, signAlgorithms.algos and signature_formats.formats must be there, every member it knows must
// have its type, and the authorization server is named by exactly ONE of oauth2Issuer or oauth2 (it refuses both).
// It accepts only specs "2.2.0.0", reads the v2.2 members (supportedHashTypes, supportsRar…), sends an explicit null
// for every optional parameter it leaves unset, and sends hashType with the digests. Default base /csc/v2.2.
import { type Check, fail, failIfAny, skip } from '../check.ts';
import { credentialsGroup } from '../checks/credentials.ts';
import { authGroup } from '../checks/auth.ts';
import { infoGroup, metadataUrl } from '../checks/info.ts';
import { signingGroup } from '../checks/signing.ts';
import { isObject, isStringArray } from '../encodings.ts';
import { expectJsonOk } from '../expect_error.ts';
import { describeAnswer } from '../http_client.ts';
import type { Session } from '../session.ts';
import { infoCasingIssues } from './keys.ts';
import { group, pick, type Profile } from './profile.ts';
import { signAs } from './sign_check.ts';

const V22_RAR_TYPE = 'https://cloudsignatureconsortium.org/2025/credential';
const CLAUSE = 'CSC v2.2 §11.1 (EUDI rqes-csc-kt RSSPMetadata)';

const specs: Check<Session> = {
  id: 'eudi.info.specs',
  title: 'info.specs is "2.2.0.0"',
  clause: CLAUSE,
  async run(s) {
    const i = s.needInfo();
    if (i.specs !== '2.2.0.0') fail(`info.specs is ${JSON.stringify(i.specs)}: the rQES library works with CSC v2.2 servers only ("2.2.0.0")`);
    return 'specs 2.2.0.0';
  },
};

const requiredMembers: Check<Session> = {
  id: 'eudi.info.required_members',
  title: 'info has the members the library cannot parse without',
  clause: CLAUSE,
  async run(s) {
    const i = s.needInfo();
    const issues: string[] = [];
    if (!isStringArray(i.authType)) issues.push('authType is missing or not an array of strings');
    if (!isStringArray(i.methods)) issues.push('methods is missing or not an array of strings');
    if (!isObject(i.signAlgorithms) || !isStringArray(i.signAlgorithms.algos)) issues.push('signAlgorithms.algos is missing or not an array of strings');
    if (!isObject(i.signature_formats) || !isStringArray(i.signature_formats.formats)) issues.push('signature_formats.formats is missing or not an array of strings');
    issues.push(...infoCasingIssues(i));
    failIfAny(issues.map((x) => `${x} (the library refuses the metadata as not parseable)`));
    return 'authType, methods, signAlgorithms.algos, signature_formats.formats present and spelled as in v2.2';
  },
};

type Kind = 'string' | 'boolean' | 'strings' | 'string-lists' | 'nullable-strings';
const MEMBER_TYPES: [string, Kind][] = [
  ['specs', 'string'], ['name', 'string'], ['logo', 'string'], ['region', 'string'], ['lang', 'string'], ['description', 'string'],
  ['oauth2', 'string'], ['oauth2Issuer', 'string'], ['supportsRar', 'boolean'], ['supportedHashTypes', 'strings'],
  ['asynchronousOperationMode', 'boolean'], ['validationInfo', 'boolean'], ['documentTypes', 'strings'], ['conformance_levels', 'strings'],
];
const ofKind = (v: unknown, k: Kind): boolean =>
  k === 'string' ? typeof v === 'string'
    : k === 'boolean' ? typeof v === 'boolean'
      : k === 'strings' ? isStringArray(v)
        : k === 'string-lists' ? Array.isArray(v) && v.every(isStringArray)
          : Array.isArray(v) && v.every((x) => x === null || typeof x === 'string');

const memberTypes: Check<Session> = {
  id: 'eudi.info.member_types',
  title: 'every info member the library reads has the type of its model',
  clause: CLAUSE,
  async run(s) {
    const i = s.needInfo();
    const issues: string[] = [];
    for (const [name, kind] of MEMBER_TYPES) if (i[name] !== undefined && i[name] !== null && !ofKind(i[name], kind)) issues.push(`${name} is ${JSON.stringify(i[name])}, expected ${kind}`);
    const sa = isObject(i.signAlgorithms) ? i.signAlgorithms : {};
    if (sa.algoParams !== undefined && sa.algoParams !== null && !ofKind(sa.algoParams, 'nullable-strings')) issues.push('signAlgorithms.algoParams is not an array of strings');
    const sf = isObject(i.signature_formats) ? i.signature_formats : {};
    if (sf.envelope_properties !== undefined && sf.envelope_properties !== null && !ofKind(sf.envelope_properties, 'string-lists')) issues.push('signature_formats.envelope_properties is not an array of arrays of strings');
    if (sf.allowMix !== undefined && sf.allowMix !== null && typeof sf.allowMix !== 'boolean') issues.push('signature_formats.allowMix is not a boolean');
    failIfAny(issues);
    return 'every known member typed as the library expects';
  },
};

const v22Members: Check<Session> = {
  id: 'eudi.info.v22_members',
  title: 'info states the v2.2 capabilities the rQES flow depends on',
  clause: 'CSC v2.2 §11.1 supportedHashTypes, supportsRar, asynchronousOperationMode, validationInfo',
  async run(s) {
    const i = s.needInfo();
    const issues: string[] = [];
    if (!isStringArray(i.supportedHashTypes)) issues.push('supportedHashTypes is missing: the wallet sends its digests as hashType "dtbsr"');
    else if (!i.supportedHashTypes.some((t) => t.toLowerCase() === 'dtbsr')) issues.push(`supportedHashTypes ${JSON.stringify(i.supportedHashTypes)} lacks "dtbsr", the hashType the wallet sends`);
    if (typeof i.supportsRar !== 'boolean') issues.push('supportsRar is missing: the library cannot tell whether to authorize with authorization_details');
    for (const k of ['asynchronousOperationMode', 'validationInfo']) if (typeof i[k] !== 'boolean') issues.push(`${k} is missing (a boolean in v2.2)`);
    failIfAny(issues);
    return `supportedHashTypes ${JSON.stringify(i.supportedHashTypes)}, supportsRar ${String(i.supportsRar)}`;
  },
};

function httpsOrLoopback(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || (u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname));
  } catch {
    return false;
  }
}

const authorizationServer: Check<Session> = {
  id: 'eudi.info.authorization_server',
  title: 'OAuth is offered with exactly one of oauth2Issuer or oauth2, an https URL',
  clause: CLAUSE,
  async run(s) {
    const i = s.needInfo();
    const types = isStringArray(i.authType) ? i.authType : [];
    if (!types.includes('oauth2code') && !types.includes('oauth2client')) fail(`authType ${JSON.stringify(types)} offers no OAuth 2.0: the rQES flow authorizes the credential with OAuth`);
    const issuer = typeof i.oauth2Issuer === 'string' ? i.oauth2Issuer : undefined;
    const base = typeof i.oauth2 === 'string' ? i.oauth2 : undefined;
    if (issuer && base) fail('both oauth2Issuer and oauth2 are given: the library refuses the metadata ("issuerClaim and oauth2Claim cannot both be set"); give oauth2Issuer only');
    const url = issuer ?? base ?? fail('neither oauth2Issuer nor oauth2 is given');
    if (!httpsOrLoopback(url)) fail(`${issuer ? 'oauth2Issuer' : 'oauth2'} "${url}" is not an https URL`);
    return `${issuer ? 'oauth2Issuer' : 'oauth2'} ${url}`;
  },
};

const methods: Check<Session> = {
  id: 'eudi.info.methods',
  title: 'methods lists what the rQES signing flow calls',
  clause: CLAUSE,
  async run(s) {
    s.needInfo();
    failIfAny(['credentials/list', 'credentials/info', 'signatures/signHash'].filter((m) => !s.offers(m)).map((m) => `${m} is not listed in methods`));
    return 'credentials/list, credentials/info, signatures/signHash listed';
  },
};

const rarMetadata: Check<Session> = {
  id: 'eudi.oauth.rar_metadata',
  title: 'with supportsRar, the authorization server accepts the v2.2 credential authorization_details type',
  clause: 'CSC v2.2 §8.4 (RAR type https://cloudsignatureconsortium.org/2025/credential), RFC 9396 §10',
  async run(s) {
    const i = s.needInfo();
    if (i.supportsRar !== true) skip('supportsRar is not true');
    const issuer = typeof i.oauth2Issuer === 'string' ? i.oauth2Issuer : skip('no oauth2Issuer to discover metadata from');
    const a = await s.http.get(metadataUrl(issuer));
    if (a.status !== 200 || !isObject(a.json)) fail(`GET ${metadataUrl(issuer)}: ${describeAnswer(a)}`);
    const m = a.json as Record<string, unknown>;
    const types = isStringArray(m.authorization_details_types_supported) ? m.authorization_details_types_supported : [];
    if (!types.includes(V22_RAR_TYPE)) fail(`authorization_details_types_supported ${JSON.stringify(m.authorization_details_types_supported)} lacks "${V22_RAR_TYPE}"`);
    return `authorization_details_types_supported ${JSON.stringify(types)}`;
  },
};

const nullsInfo: Check<Session> = {
  id: 'eudi.nulls.info',
  title: 'info accepts lang: null (the library sends unset parameters as null)',
  clause: 'CSC v2.2 §11.1 lang; EUDI rqes-csc-kt request models',
  async run(s) {
    const a = await s.http.post('info', { json: { lang: null } });
    if (a.status !== 200) fail(`info {"lang":null} was refused: ${describeAnswer(a)}`);
    return 'info {"lang":null} answered 200';
  },
};

const nullsList: Check<Session> = {
  id: 'eudi.nulls.credentials_list',
  title: 'credentials/list accepts explicit nulls for its optional parameters',
  clause: 'CSC v2.2 §11.4; EUDI rqes-csc-kt CredentialsListRequest',
  async run(s) {
    s.needMethod('credentials/list');
    const body = { userID: null, credentialInfo: true, certificates: 'chain', certInfo: true, authInfo: true, onlyValid: null, lang: null, clientData: null };
    const a = await s.http.post('credentials/list', { json: body }, s.bearer());
    if (a.status !== 200) fail(`credentials/list with explicit nulls was refused: ${describeAnswer(a)}`);
    const json = expectJsonOk(a, 'credentials/list with nulls');
    if (!Array.isArray(json.credentialInfos)) fail('credentialInfos missing although credentialInfo was true');
    return `${(json.credentialInfos as unknown[]).length} credentialInfo(s)`;
  },
};

const nullsInfoCredential: Check<Session> = {
  id: 'eudi.nulls.credentials_info',
  title: 'credentials/info accepts explicit nulls for its optional parameters',
  clause: 'CSC v2.2 §11.5; EUDI rqes-csc-kt CredentialInfoRequest',
  async run(s) {
    const c = s.needCredential();
    const a = await s.http.post('credentials/info', { json: { credentialID: c.id, certificates: 'chain', certInfo: true, authInfo: true, lang: null, clientData: null } }, s.bearer());
    if (a.status !== 200) fail(`credentials/info with explicit nulls was refused: ${describeAnswer(a)}`);
    return 'credentials/info with lang and clientData null answered 200';
  },
};

const signHash: Check<Session> = {
  id: 'eudi.sign_hash',
  title: 'signHash takes the body the library sends (hashAlgorithmOID, operationMode "S", hashType, nulls) and signs',
  clause: 'CSC v2.2 §11.10; EUDI rqes-csc-kt SignHashRequest',
  async run(s) {
    return signAs(s, 'the rQES library', (r) => ({
      credentialID: r.credentialID,
      SAD: r.sad,
      hashes: [r.hash.toString('base64')],
      hashAlgorithmOID: r.hashOid,
      signAlgo: r.signAlgo,
      signAlgoParams: null,
      operationMode: 'S',
      validity_period: null,
      response_uri: null,
      hashType: 'dtbsr',
      clientData: null,
    }));
  },
};

export const eudiRqesProfile: Profile = {
  title: 'EUDI Wallet rQES library (eudi-lib-jvm-rqes-csc-kt) against a CSC v2.2 server',
  specification: 'CSC API v2.2.0.0',
  groups: [
    pick(infoGroup, ['info.available']),
    group('eudi.info', [specs, requiredMembers, memberTypes, v22Members, authorizationServer, methods, rarMetadata, nullsInfo]),
    pick(authGroup, ['auth.login']),
    pick(credentialsGroup, ['credentials.list', 'credentials.info']),
    group('eudi.credentials', [nullsList, nullsInfoCredential]),
    pick(signingGroup, ['signing.authorize']),
    group('eudi.signing', [signHash]),
  ],
};
