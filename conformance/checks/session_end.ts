// Ending the session (CSC v2 §11.3): run last, because it revokes the access token the other checks used.
import { type Check, fail, type Group, skip } from '../check.ts';
import { expectCscError } from '../expect_error.ts';
import { describeAnswer } from '../http_client.ts';
import type { Session } from '../session.ts';

const revoke: Check<Session> = {
  id: 'auth.revoke',
  title: 'auth/revoke invalidates the access token at once',
  clause: 'CSC v2 §11.3, RFC 7009 §2',
  async run(s) {
    // A token handed to the kit belongs to someone else's session: never revoke it.
    if (s.options.token) skip('the token was given (--token); the kit revokes only tokens it obtained itself');
    const bearer = s.bearer();
    s.needMethod('auth/revoke');
    const a = await s.http.post('auth/revoke', { json: { token: s.token, token_type_hint: 'access_token' } }, bearer);
    if (a.status !== 204) fail(`expected 204 No Content, got ${describeAnswer(a)}`);
    if (a.text !== '') fail('204 with a body');
    const after = await s.http.post('credentials/list', { json: {} }, bearer);
    s.token = undefined;
    return `204; then ${expectCscError(after, 'credentials/list with the revoked token', { statuses: [401], error: ['invalid_token', 'expired_token'] })}`;
  },
};

export const sessionEndGroup: Group<Session> = { name: 'session_end', checks: () => [revoke] };
