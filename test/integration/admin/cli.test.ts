// The CLI as an operator runs it: a child process (tsx admin/cli.ts) against the admin API listening on an
// ephemeral port (fake SAM and CredentialService, real user store).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStores, rand } from '../authz/helpers.ts';
import { certificate, certPem, keyPair, spkiOfCert } from '../../unit/admin/certs.ts';
import { ADMIN_TOKEN, startAdmin } from '../../unit/admin/fakes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

let stores: Awaited<ReturnType<typeof openStores>>;
let admin: Awaited<ReturnType<typeof startAdmin>>;
let tmp: string;

beforeAll(async () => {
  stores = await openStores();
  admin = await startAdmin(stores.db);
  tmp = mkdtempSync(path.join(tmpdir(), 'admin-cli-'));
});
afterAll(async () => {
  await admin.close();
  await stores.close();
});

type Run = { code: number; stdout: string; stderr: string };

/** The CLI with exactly these arguments and this standard input. */
function cliRaw(args: string[], stdin: string, env: Record<string, string | undefined> = {}): Promise<Run> {
  const base: Record<string, string | undefined> = { ...process.env, ADMIN_URL: admin.url, ADMIN_TOKEN, ADMIN_TOKEN_FILE: undefined, ...env };
  for (const k of Object.keys(base)) if (base[k] === undefined) delete base[k];
  return new Promise((resolve) => {
    const child = execFile(TSX, ['admin/cli.ts', ...args], { cwd: ROOT, env: base as NodeJS.ProcessEnv }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin);
  });
}

/** Secrets written as flags for readability (`--password p`) go to standard input, as the CLI reads them. */
function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const argv: string[] = [];
  const secrets: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--password' || args[i] === '--pin') secrets.push(args[++i]!);
    else argv.push(args[i]!);
  }
  return cliRaw(argv, secrets.map((v) => `${v}\n`).join(''), env);
}

function oneLineError(r: Run, message: string, code = 1) {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`error: ${message}\n`);
}

async function user() {
  const username = `cli_${rand()}`;
  const r = await cli(['user:create', '--username', username, '--password', 'password-123', '--name', 'Cli User', '--email', 'cli@example.org']);
  expect(r.code).toBe(0);
  return { username, userId: JSON.parse(r.stdout).userId as string };
}

describe('admin CLI', () => {
  it('lists every command with --help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['user:create', 'otp:enroll', 'credential:create', 'credential:list', 'credential:disable', 'credential:enable', 'credential:unlock', 'credential:csr', 'credential:import-cert', 'ca:cert']) {
      expect(r.stdout).toContain(`  ${c}`);
    }
  });

  it('user:create prints {"userId"} and the user exists', async () => {
    const username = `cli_${rand()}`;
    const r = await cli(['user:create', '--username', username, '--password', '-starts-with-dash', '--name', 'Full Name', '--phone', '+3312345678']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['userId']);
    expect(await admin.users.byUsername(username)).toMatchObject({ id: out.userId, name: 'Full Name', phone: '+3312345678', email: null });
  });

  it('otp:enroll prints {"secret","otpauthUri"} and a QR code on stderr', async () => {
    const { username } = await user();
    const r = await cli(['otp:enroll', '--username', username]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['secret', 'otpauthUri']);
    expect(out.secret).toMatch(/^[A-Z2-7]+$/);
    expect(out.otpauthUri).toContain(`secret=${out.secret}`);
    expect(r.stderr).toMatch(/[█▀▄]/);
    expect(r.stderr.split('\n').length).toBeGreaterThan(10);
  });

  it('credential:create, credential:list, disable, enable, unlock print JSON and act on the SAM', async () => {
    const { username, userId } = await user();
    const c = await cli([
      'credential:create', '--username', username, '--algo', 'RS256', '--rsa-bits', '3072', '--pin', '246810',
      '--multisign', '3', '--scal', '1', '--auth', 'oauth2code', '--description', 'Two words',
    ]);
    expect(c).toMatchObject({ code: 0, stderr: '' });
    const { credentialID } = JSON.parse(c.stdout);
    expect(Object.keys(JSON.parse(c.stdout))).toEqual(['credentialID']);
    expect(admin.credentials.created.at(-1)).toEqual({
      ownerId: userId, algo: 'RS256', rsaBits: 3072, pin: '246810', multisign: 3, scal: '1', authMode: 'oauth2code', description: 'Two words',
    });

    const list = JSON.parse((await cli(['credential:list', '--username', username])).stdout);
    expect(list.credentials).toHaveLength(1);
    expect(list.credentials[0]).toMatchObject({ credentialID, keyAlgo: 'RSA-3072', scal: '1', authMode: 'oauth2code', multisign: 3, enabled: true, locked: false });

    expect(JSON.parse((await cli(['credential:disable', '--id', credentialID])).stdout)).toEqual({ credentialID, enabled: false });
    expect(admin.sam.states.get(credentialID)!.enabled).toBe(false);
    expect(JSON.parse((await cli(['credential:enable', '--id', credentialID])).stdout)).toEqual({ credentialID, enabled: true });
    admin.sam.states.get(credentialID)!.locked = true;
    expect(JSON.parse((await cli(['credential:unlock', '--id', credentialID])).stdout)).toEqual({ credentialID, locked: false });
    expect(admin.sam.states.get(credentialID)!.locked).toBe(false);
  });

  it('credential:csr and ca:cert print PEM', async () => {
    const { username } = await user();
    const { credentialID } = JSON.parse((await cli(['credential:create', '--username', username, '--algo', 'ES256', '--pin', '1234'])).stdout);
    const csr = await cli(['credential:csr', '--id', credentialID]);
    expect(csr).toEqual({ code: 0, stderr: '', stdout: '-----BEGIN CERTIFICATE REQUEST-----\nMAMCAQc=\n-----END CERTIFICATE REQUEST-----\n' });
    const ca = await cli(['ca:cert']);
    expect(ca).toEqual({ code: 0, stderr: '', stdout: certPem(admin.sam.ca) });
  });

  it('credential:import-cert binds a matching chain and refuses another key with a one-line error', async () => {
    const { username } = await user();
    const { credentialID } = JSON.parse((await cli(['credential:create', '--username', username, '--algo', 'ES256', '--pin', '1234'])).stdout);
    const caKeys = keyPair();
    const ee = certificate('Reissued', spkiOfCert(admin.credentials.records.get(credentialID)!.certificates[0]!), { name: 'Ext CA', keys: caKeys });
    const good = path.join(tmp, `good-${rand()}.pem`);
    writeFileSync(good, certPem(ee) + certPem(certificate('Ext CA', caKeys)));
    const r = await cli(['credential:import-cert', '--id', credentialID, '--chain', good]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ credentialID, certificates: 2 });

    const bad = path.join(tmp, `bad-${rand()}.pem`);
    writeFileSync(bad, certPem(certificate('Other', keyPair())));
    oneLineError(
      await cli(['credential:import-cert', '--id', credentialID, '--chain', bad]),
      'The end-entity certificate does not match the key of the credential (HTTP 400 invalid_request)',
    );
    oneLineError(await cli(['credential:import-cert', '--id', credentialID, '--chain', path.join(tmp, 'missing.pem')]), `cannot read ${path.join(tmp, 'missing.pem')}: ENOENT`);
  });

  it('reports refusals of the server on one line with a non-zero exit', async () => {
    const { username } = await user();
    oneLineError(
      await cli(['user:create', '--username', username, '--password', 'password-123']),
      'A user with this username already exists (HTTP 409 invalid_request)',
    );
    oneLineError(
      await cli(['credential:create', '--username', username, '--algo', 'ES512', '--pin', '1234']),
      'Invalid parameter algo: one of "ES256", "ES384", "RS256", "RS384", "PS256" (HTTP 400 invalid_request)',
    );
    oneLineError(await cli(['credential:list', '--username', `nobody_${rand()}`]), 'No user with this username (HTTP 404 invalid_request)');
    oneLineError(await cli(['ca:cert'], { ADMIN_TOKEN: 'wrong-token-wrong-token' }), 'Missing or invalid admin token (HTTP 401 invalid_token)');
  });

  it('refuses usage errors with exit 2', async () => {
    oneLineError(await cli(['user:create', '--username', 'x']), '--password is needed: one line on standard input (or run in a terminal to be asked)', 2);
    // Secrets never on the command line, where ps, shell history and CI logs would keep them.
    oneLineError(await cliRaw(['user:create', '--username', 'x', '--password', 'password-123'], ''), '--password is read from standard input or asked for, never taken from the command line', 2);
    oneLineError(await cliRaw(['credential:create', '--username', 'x', '--algo', 'ES256', '--pin=1234'], ''), '--pin is read from standard input or asked for, never taken from the command line', 2);
    oneLineError(await cli(['user:delete']), 'unknown command user:delete (see --help)', 2);
    oneLineError(await cli(['credential:list', '--user', 'x']), 'credential:list has no flag --user (see --help)', 2);
    oneLineError(await cli(['credential:create', '--username', 'x', '--algo', 'RS256', '--pin', '1234', '--rsa-bits', 'big']), '--rsa-bits must be a whole number', 2);
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('usage: npm run admin');
  });

  it('reads the token from ADMIN_TOKEN_FILE, then from DATA_DIR/admin-token, and says when there is none', async () => {
    const file = path.join(tmp, 'token-file');
    writeFileSync(file, `${ADMIN_TOKEN}\n`);
    const viaFile = await cli(['ca:cert'], { ADMIN_TOKEN: undefined, ADMIN_TOKEN_FILE: file });
    expect(viaFile).toMatchObject({ code: 0, stdout: certPem(admin.sam.ca) });

    const dataDir = mkdtempSync(path.join(tmp, 'data-'));
    writeFileSync(path.join(dataDir, 'admin-token'), ADMIN_TOKEN);
    expect((await cli(['ca:cert'], { ADMIN_TOKEN: undefined, DATA_DIR: dataDir })).code).toBe(0);

    const empty = mkdtempSync(path.join(tmp, 'empty-'));
    oneLineError(
      await cli(['ca:cert'], { ADMIN_TOKEN: undefined, DATA_DIR: empty }),
      `no admin token: set ADMIN_TOKEN or ADMIN_TOKEN_FILE (${path.join(empty, 'admin-token')} is missing or empty)`,
    );
  });

  it('says when the admin API cannot be reached, and uses PORT when ADMIN_URL is unset', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closed = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = await cli(['ca:cert'], { ADMIN_URL: `http://127.0.0.1:${closed}` });
    oneLineError(r, `cannot reach the admin API at http://127.0.0.1:${closed}: ECONNREFUSED`);
    const port = new URL(admin.url).port;
    expect((await cli(['ca:cert'], { ADMIN_URL: undefined, PORT: port })).stdout).toBe(certPem(admin.sam.ca));
  });
});
