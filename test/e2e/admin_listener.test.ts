// ADMIN_LISTEN (issue #14 finding 1): the admin API on a loopback listener of its own; the public port serves none of
// it, whatever token is shown, and the admin listener serves nothing of the CSC API.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { freePort, type Server, startServer } from './harness.ts';


let server: Server;
let adminPort: number;
let token: string;

beforeAll(async () => {
  adminPort = await freePort();
  server = await startServer({ ADMIN_LISTEN: `127.0.0.1:${adminPort}` });
  token = readFileSync(path.join(server.dataDir, 'admin-token'), 'utf8').trim();
}, 120_000);
afterAll(() => server?.stop());

const createUser = (base: string, username: string) =>
  fetch(`${base}/admin/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'a long password' }),
  });

describe('the admin API on its own listener', () => {
  it('is not served on the public port, even with the right token', async () => {
    const username = `al${randomBytes(3).toString('hex')}`;
    const res = await createUser(server.url, username);
    expect(res.status).toBe(404);
    // The user was not created: the admin listener can create it now.
    expect((await createUser(`http://127.0.0.1:${adminPort}`, username)).status).toBe(201);
  });

  it('serves the admin API, and the CLI finds it through ADMIN_LISTEN', async () => {
    // No ADMIN_URL: the CLI reads ADMIN_LISTEN (and the token from DATA_DIR), as on the host of the service.
    const { ADMIN_URL: _none, ...env } = server.env;
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(process.execPath, ['--import', 'tsx', 'admin/cli.ts', 'user:create', '--username', `cl${randomBytes(3).toString('hex')}`], {
        cwd: path.resolve(import.meta.dirname, '../..'),
        env,
      }, (err, out) => (err ? reject(err) : resolve(out)));
      child.stdin!.end('a long password\n'); // the password on standard input, as the CLI reads it
    });
    expect(JSON.parse(stdout).userId).toMatch(/./);
    // The CSC API is not there.
    expect((await fetch(`http://127.0.0.1:${adminPort}/csc/v2/info`, { method: 'POST', body: '{}' })).status).toBe(404);
    // And the public port answers the CSC API as before.
    expect((await fetch(`${server.url}/csc/v2/info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(200);
  });
});
