// Profile `strict`: everything CSC v2.0.0.2 itself says, to the letter — the kit's full set of checks plus the ones a
// lenient client would not notice: member names spelled exactly as the specification spells them (a client that
// maps JSON to a typed model matches names exactly), Content-Type application/json on every answer (§7.1, §10.1),
// and error bodies that are the error model and nothing else (§10.1).
import { type Check, fail, failIfAny } from '../check.ts';
import { isObject } from '../encodings.ts';
import { expectJsonOk, isJsonContentType } from '../expect_error.ts';
import { describeAnswer, type HttpAnswer } from '../http_client.ts';
import { sessionEndGroup } from '../checks/session_end.ts';
import { GROUPS } from '../groups.ts';
import type { Session } from '../session.ts';
import { credentialCasingIssues, infoCasingIssues } from './keys.ts';
import { group, type Profile } from './profile.ts';

const infoCasing: Check<Session> = {
  id: 'strict.casing[info]',
  title: 'info members are spelled exactly as the specification spells them',
  clause: 'CSC v2 §11.1 Output',
  async run(s) {
    const info = expectJsonOk(await s.http.post('info', { json: {} }), 'info');
    failIfAny(infoCasingIssues(info));
    return `${Object.keys(info).length} members, all spelled as in §11.1`;
  },
};

const credentialCasing: Check<Session> = {
  id: 'strict.casing[credentials]',
  title: 'credentials/list and credentials/info members are spelled exactly as the specification spells them',
  clause: 'CSC v2 §11.4, §11.5 Output',
  async run(s) {
    const c = s.needCredential();
    const list = expectJsonOk(
      await s.http.post('credentials/list', { json: { credentialInfo: true, certificates: 'chain', certInfo: true, authInfo: true } }, s.bearer()),
      'credentials/list with credentialInfo',
    );
    const issues = [
      ...(Object.keys(list).filter((k) => k !== 'credentialIDs' && k.toLowerCase() === 'credentialids').map((k) => `${k} must be spelled "credentialIDs"`)),
      ...(Object.keys(list).filter((k) => k !== 'credentialInfos' && k.toLowerCase() === 'credentialinfos').map((k) => `${k} must be spelled "credentialInfos"`)),
      ...(Array.isArray(list.credentialInfos) ? list.credentialInfos.flatMap((ci, i) => credentialCasingIssues(`credentialInfos[${i}].`, ci)) : []),
      ...credentialCasingIssues('credentials/info: ', c.info),
    ];
    failIfAny(issues);
    return 'credentialIDs, credentialInfos and every credential member spelled as in §11.4';
  },
};

/** Probes whose answers must all be JSON: successes and refusals alike. */
async function probes(s: Session): Promise<{ what: string; answer: HttpAnswer }[]> {
  const out = [
    { what: 'info', answer: await s.http.post('info', { json: {} }) },
    { what: 'credentials/list without a token', answer: await s.http.post('credentials/list', { json: {} }) },
  ];
  if (s.token) {
    out.push({ what: 'credentials/list', answer: await s.http.post('credentials/list', { json: {} }, s.bearer()) });
    out.push({ what: 'credentials/info of an unknown credential', answer: await s.http.post('credentials/info', { json: { credentialID: 'strict-profile-unknown' } }, s.bearer()) });
  }
  return out;
}

const contentType: Check<Session> = {
  id: 'strict.content_type',
  title: 'every answer with a body is Content-Type application/json',
  clause: 'CSC v2 §7.1, §10.1',
  async run(s) {
    const seen = [...(await probes(s)), ...s.refusals];
    failIfAny(
      seen
        .filter(({ answer }) => answer.status !== 204 && !isJsonContentType(answer.contentType))
        .map(({ what, answer }) => `${what}: Content-Type "${answer.contentType || '(none)'}", expected application/json`),
    );
    return `${seen.length} answers, all application/json`;
  },
};

const errorBodies: Check<Session> = {
  id: 'strict.error_body',
  title: 'refusals carry the error model and nothing else: error (lowercase code) and error_description',
  clause: 'CSC v2 §10.1',
  async run(s) {
    const refusals = [...(await probes(s)), ...s.refusals].filter(({ answer }) => answer.status >= 400);
    if (!refusals.length) fail('no refusal was observed to judge');
    const issues: string[] = [];
    for (const { what, answer } of refusals) {
      if (!isObject(answer.json)) {
        issues.push(`${what}: body is not a JSON object: ${describeAnswer(answer)}`);
        continue;
      }
      const extra = Object.keys(answer.json).filter((k) => k !== 'error' && k !== 'error_description');
      if (extra.length) issues.push(`${what}: members ${extra.map((k) => `"${k}"`).join(', ')} are not part of the error model`);
      if (typeof answer.json.error !== 'string' || !/^[a-z_]+$/.test(answer.json.error)) issues.push(`${what}: error ${JSON.stringify(answer.json.error)} is not a lowercase code`);
    }
    failIfAny(issues);
    return `${refusals.length} refusals, each { error, error_description }`;
  },
};

export const strictProfile: Profile = {
  title: 'CSC API v2.0.0.2 to the letter: every check of the kit, exact member names, JSON media type, the bare error model',
  specification: 'CSC API v2.0.0.2',
  // Before the session ends: the casing of credentials needs the token that auth/revoke retires.
  groups: [...GROUPS.filter((g) => g !== sessionEndGroup), group('strict', [infoCasing, credentialCasing, contentType, errorBodies]), sessionEndGroup],
};
