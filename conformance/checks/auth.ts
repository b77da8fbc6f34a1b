// Service authorization (CSC v2 §8.1): with --username/--password the kit logs in with auth/login and HTTP Basic
// (§11.2); with --token it uses the token as given.
import { type Check, failIfAny, type Group, skip } from '../check.ts';
import { expectJsonOk } from '../expect_error.ts';
import type { Session } from '../session.ts';

const login: Check<Session> = {
  id: 'auth.login',
  title: 'auth/login with HTTP Basic returns a service access token',
  clause: 'CSC v2 §11.2',
  async run(s) {
    const { username, password, token } = s.options;
    if (token) {
      s.token = token;
      skip('a token was given (--token); auth/login not exercised');
    }
    if (!username || password === undefined) skip('no --username/--password given');
    s.needInfo();
    s.needMethod('auth/login');
    const basic = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    const body = expectJsonOk(await s.http.post('auth/login', { json: {} }, basic), 'auth/login');
    const issues: string[] = [];
    if (typeof body.access_token !== 'string' || !body.access_token) issues.push('no string access_token');
    if (body.expires_in !== undefined && (typeof body.expires_in !== 'number' || !Number.isInteger(body.expires_in) || body.expires_in <= 0)) {
      issues.push(`expires_in ${JSON.stringify(body.expires_in)} is not a positive integer`);
    }
    if (body.refresh_token !== undefined && typeof body.refresh_token !== 'string') issues.push('refresh_token is not a string');
    failIfAny(issues);
    s.token = body.access_token as string;
    return `access token issued${typeof body.expires_in === 'number' ? `, expires_in ${body.expires_in}` : ''}`;
  },
};

// No wrong-password probe: failed logins count towards the service's lockout and throttling (per user and per
// address), which would hurt the signer the kit acts for and anyone sharing its address.
export const authGroup: Group<Session> = { name: 'auth', checks: () => [login] };
