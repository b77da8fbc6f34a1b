// Issue #5 item 3: the conformance kit passes against our own service, started as a process exactly as
// `npm start` does and set up with the admin CLI — through the CLI (exit status, report.json, junit.xml) for an
// ECDSA signer and through the library for an RSA signer (PKCS#1 v1.5 and PSS).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformance } from '../../conformance/runner.ts';
import { admin, type Server, startServer } from './harness.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

let server: Server;

type Signer = { username: string; password: string; otpSecret: string; credentials: string[] };

async function newSigner(algos: string[]): Promise<Signer> {
  const username = `conf-${randomBytes(4).toString('hex')}`;
  const password = 'correct horse battery';
  expect((await admin(server, 'user:create', '--username', username, '--password', password, '--name', 'Conformance Signer', '--email', `${username}@example.org`)).code).toBe(0);
  const otp = await admin(server, 'otp:enroll', '--username', username);
  expect(otp.code, otp.stderr).toBe(0);
  const credentials: string[] = [];
  for (const algo of algos) {
    const res = await admin(server, 'credential:create', '--username', username, '--algo', algo, '--pin', '246810', '--multisign', '2');
    expect(res.code, res.stderr).toBe(0);
    credentials.push(res.json.credentialID);
  }
  return { username, password, otpSecret: otp.json.secret, credentials };
}

beforeAll(async () => {
  // Login throttling counts per address in the shared Redis: other test files' deliberate failures must not
  // throttle this file's logins.
  // The same holds for the request-rate throttles of auth/login and credentials/authorize: the kit probes
  // authorize a few times per run and this file runs it several times within one window.
  server = await startServer({ LOGIN_MAX_FAILURES: '1000', LOGIN_RATE_PER_IP: '100000', AUTHORIZE_RATE_PER_CLIENT: '100000', AUTHORIZE_RATE_PER_IP: '100000' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

// Skips that are right for our service: it offers auth/login, so `--token` is not used, and nothing else.
const EXPECTED_SKIPS: string[] = [];

describe('conformance kit against our service', () => {
  it('CLI: every check passes for an ECDSA credential, exit 0, JSON and JUnit reports written', async () => {
    const signer = await newSigner(['ES256', 'ES384']);
    const out = mkdtempSync(path.join(os.tmpdir(), 'rssp-conformance-'));
    // The password and the TOTP secret come from the environment, as the usage recommends for secrets.
    const args = ['--import', 'tsx', 'conformance/cli.ts', '--base-url', `${server.url}/csc/v2`, '--username', signer.username,
      '--credential', signer.credentials[0]!, '--pin', '246810', '--out', out];
    const env = { ...process.env, CSC_PASSWORD: signer.password, CSC_TOTP_SECRET: signer.otpSecret };
    let stdout = '';
    let stderr = '';
    let code: unknown = 0;
    try {
      ({ stdout, stderr } = await run(process.execPath, args, { cwd: ROOT, env }));
    } catch (err) {
      const e = err as { code: unknown; signal?: string; stdout: string; stderr: string };
      [code, stdout, stderr] = [e.code ?? e.signal, e.stdout, e.stderr];
    }
    expect(stdout, stdout).not.toMatch(/^FAIL/m);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/^PASS  signing\.sign_hash  \[CSC v2 §11\.10.*ecdsa-with-SHA256: DER ECDSA on P-256 verified/m);
    expect(stdout).not.toContain(signer.password);

    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.summary.fail).toBe(0);
    expect(report.results.filter((r: { status: string }) => r.status === 'skip').map((r: { id: string }) => r.id)).toEqual(EXPECTED_SKIPS);
    const ids = report.results.map((r: { id: string }) => r.id);
    for (const id of ['info.listed_methods_answer', 'info.unlisted_methods_refused', 'credentials.info_certificates', 'credentials.info_cert_info', 'signing.authorize',
      'scal2.hash_not_authorized', 'scal2.sad_reuse', 'scal2.sad_other_credential', 'signing.wrong_length_hash', 'errors.not_json[signatures/signHash]',
      'errors.unknown_request_id[signatures/signPolling]', 'errors.validity_period_out_of_bounds[signatures/signHash]']) {
      expect(ids).toContain(id);
    }
    for (const r of report.results) expect(r.clause, r.id).toMatch(/CSC v2 §|RFC /);

    const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(junit).toContain(`tests="${report.summary.total}" failures="0" errors="0" skipped="0"`);
    expect(junit.match(/<testcase /g)).toHaveLength(report.summary.total);
  }, 60_000);

  it('library: every check passes for an RSA credential, PKCS#1 v1.5 and RSASSA-PSS verified', async () => {
    const signer = await newSigner(['RS256', 'ES256']);
    const report = await runConformance({
      baseUrl: server.url,
      username: signer.username,
      password: signer.password,
      credentialID: signer.credentials[0],
      pin: '246810',
      totpSecret: signer.otpSecret,
    });
    const failed = report.results.filter((r) => r.status !== 'pass');
    expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
    const reason = (id: string) => report.results.find((r) => r.id === id)?.reason;
    expect(reason('signing.sign_hash')).toBe('sha256WithRSAEncryption: PKCS#1 v1.5 over DigestInfo verified');
    expect(reason('signing.second_hash')).toBe('RSASSA-PSS: RSASSA-PSS (sha256, salt 32) verified');
  }, 60_000);

  it('library: a PSS-only RSA credential (PS256) is signed and verified with RSASSA-PSS, SCAL 1 skips the hash binding', async () => {
    const signer = await newSigner(['PS256']);
    const scal1 = await admin(server, 'credential:create', '--username', signer.username, '--algo', 'ES256', '--pin', '246810', '--scal', '1', '--multisign', '2');
    expect(scal1.code, scal1.stderr).toBe(0);
    const pss = await runConformance({ baseUrl: server.url, username: signer.username, password: signer.password, credentialID: signer.credentials[0], pin: '246810', totpSecret: signer.otpSecret });
    expect(pss.results.filter((r) => r.status !== 'pass'), JSON.stringify(pss.results.filter((r) => r.status !== 'pass'))).toEqual([]);
    expect(pss.results.find((r) => r.id === 'signing.sign_hash')?.reason).toBe('RSASSA-PSS: RSASSA-PSS (sha256, salt 32) verified');
    // The next TOTP step: the service accepts each step once per signer (RFC 6238 §5.2).
    const { generate } = await import('otplib');
    const otp = await generate({ secret: signer.otpSecret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const s1 = await runConformance({ baseUrl: server.url, username: signer.username, password: signer.password, credentialID: scal1.json.credentialID, pin: '246810', otp });
    expect(s1.summary.fail, JSON.stringify(s1.results.filter((r) => r.status === 'fail'))).toBe(0);
    expect(s1.results.filter((r) => r.status === 'skip').map((r) => [r.id, r.reason])).toEqual([['scal2.hash_not_authorized', 'the credential is SCAL 1: hashes are not bound to the SAD']]);
  }, 60_000);

  it('skips what needs factors that were not given, and says which', async () => {
    const signer = await newSigner(['ES256']);
    const report = await runConformance({ baseUrl: server.url, username: signer.username, password: signer.password, pin: '246810' });
    expect(report.summary.fail).toBe(0);
    const authorize = report.results.find((r) => r.id === 'signing.authorize')!;
    expect(authorize).toMatchObject({ status: 'skip', reason: 'factor(s) needed: OTP (give --otp or --totp-secret)' });
    expect(report.results.find((r) => r.id === 'scal2.sad_reuse')).toMatchObject({ status: 'skip', reason: 'credentials/authorize did not yield a SAD' });
  }, 60_000);
});
