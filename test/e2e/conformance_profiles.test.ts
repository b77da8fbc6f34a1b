// Issue #12 item 5: the client compatibility profiles of the conformance kit. Each passes against our service (the
// EUDI profile against our own /csc/v2.2 and against a v2.2 base made from our /csc/v2 by a proxy) and fails a
// deliberately broken variant — a member missing, a member misspelled, explicit nulls refused — with the named
// check of the requirement it breaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../conformance/check.ts';
import type { ProfileName } from '../../conformance/options.ts';
import { runConformance, type Report } from '../../conformance/runner.ts';
import { startProxy, type ProxyOptions } from './csc_proxy.ts';
import { newCredential, newUser, type Server, startServer } from './harness.ts';

let server: Server;
const proxies: { close(): Promise<void> }[] = [];

type Signer = { username: string; password: string; otpSecret: string; credentialID: string };

/** A signer with a TOTP enrolment and a credential per algorithm, through the admin API: the kit is under test here,
 *  not the admin CLI (its own tests and conformance_kit.test.ts drive it), and a CLI process per step cost seconds. */
async function newSigner(algos = ['ES256']): Promise<Signer> {
  const u = await newUser(server, 'prof', (username) => ({ name: 'Profile Signer', email: `${username}@example.org` }));
  const ids: string[] = [];
  for (const algo of algos) ids.push(await newCredential(server, u.username, { algo, pin: '246810', multisign: 3 }));
  return { username: u.username, password: u.password, otpSecret: u.otpSecret, credentialID: ids[0]! };
}

async function run(profile: ProfileName, baseUrl: string, basePath?: string): Promise<Report> {
  // strict runs every check of the kit, scal2.sad_other_credential among them: it needs a second credential.
  const s = await newSigner(profile === 'strict' ? ['ES256', 'ES384'] : ['ES256']);
  return runConformance({ baseUrl, profile, basePath, username: s.username, password: s.password, credentialID: s.credentialID, pin: '246810', totpSecret: s.otpSecret });
}

async function proxy(opts: Omit<ProxyOptions, 'target'>): Promise<string> {
  const p = await startProxy({ target: server.url, ...opts });
  proxies.push(p);
  return p.url;
}

const failed = (r: Report) => r.results.filter((x) => x.status === 'fail');
const byId = (r: Report, id: string): CheckResult => r.results.find((x) => x.id === id) ?? expect.unreachable(`no check ${id}`);
const describeFailures = (r: Report) => failed(r).map((x) => `${x.id}: ${x.reason}`).join('\n');

/** Our /csc/v2 info as a CSC v2.2 server states it: specs 2.2.0.0, the v2.2 members, one way to name the issuer. */
function asV22Info(json: Record<string, unknown>): Record<string, unknown> {
  const { oauth2: _oauth2, ...rest } = json;
  return { ...rest, specs: '2.2.0.0', supportedHashTypes: ['dtbsr'], supportsRar: true, asynchronousOperationMode: false, validationInfo: false };
}
const v22 = (more: (method: string, json: Record<string, unknown>) => Record<string, unknown> = (_m, j) => j): Omit<ProxyOptions, 'target'> => ({
  mapPath: (p) => p.replace(/^\/csc\/v2\.2\//, '/csc/v2/'),
  rewrite: (method, json) => more(method, method === 'info' ? asV22Info(json) : json),
});

beforeAll(async () => {
  server = await startServer({ LOGIN_MAX_FAILURES: '1000', LOGIN_RATE_PER_IP: '100000', AUTHORIZE_RATE_PER_CLIENT: '100000', AUTHORIZE_RATE_PER_IP: '100000', REDIS_URL: '' });
}, 120_000);

afterAll(async () => {
  for (const p of proxies) await p.close();
  await server?.stop();
});

describe('profile strict', () => {
  it('passes against our /csc/v2, every check run', async () => {
    const r = await run('strict', server.url);
    expect(r.profile).toBe('strict');
    expect(r.target).toBe(`${server.url}/csc/v2`);
    expect(failed(r), describeFailures(r)).toEqual([]);
    expect(r.results.filter((x) => x.status === 'skip').map((x) => x.id)).toEqual([]);
    for (const id of ['strict.casing[info]', 'strict.casing[credentials]', 'strict.content_type', 'strict.error_body', 'signing.sign_hash']) expect(byId(r, id).status).toBe('pass');
  }, 180_000);

  it('fails a server that misspells signature_formats, with strict.casing[info]', async () => {
    const url = await proxy({
      rewrite: (m, j) => {
        if (m !== 'info') return j;
        const { signature_formats, ...rest } = j;
        return { ...rest, signatureFormats: signature_formats };
      },
    });
    const r = await run('strict', `${url}/csc/v2`);
    expect(byId(r, 'strict.casing[info]')).toMatchObject({ status: 'fail', reason: 'signatureFormats must be spelled "signature_formats"' });
  }, 180_000);

  it('fails a server whose errors carry extra members, with strict.error_body', async () => {
    const url = await proxy({ rewrite: (_m, j) => (typeof j.error === 'string' ? { ...j, status: 400 } : j) });
    const r = await run('strict', `${url}/csc/v2`);
    expect(byId(r, 'strict.error_body').status).toBe('fail');
    expect(byId(r, 'strict.error_body').reason).toMatch(/members "status" are not part of the error model/);
  }, 180_000);
});

describe('profile documenso-v1', () => {
  it('passes against our /csc/v2', async () => {
    const r = await run('documenso-v1', server.url);
    expect(failed(r), describeFailures(r)).toEqual([]);
    expect(r.results.filter((x) => x.status === 'skip').map((x) => x.id)).toEqual([]);
    expect(byId(r, 'documenso.sign_hash').reason).toMatch(/ecdsa-with-SHA256: DER ECDSA on P-256 verified/);
  }, 180_000);

  it('fails a server that leaves the certificates out of credentialInfos, with documenso.credentials.list_with_certificates', async () => {
    const url = await proxy({
      rewrite: (m, j) =>
        m === 'credentials/list' && Array.isArray(j.credentialInfos)
          ? { ...j, credentialInfos: j.credentialInfos.map((ci: Record<string, unknown>) => ({ ...ci, cert: { status: 'valid' } })) }
          : j,
    });
    const r = await run('documenso-v1', url);
    expect(byId(r, 'documenso.credentials.list_with_certificates')).toMatchObject({ status: 'fail', reason: 'credentialInfos[0].cert.certificates is missing' });
  }, 180_000);
});

describe('profile pyhanko-v1', () => {
  it('passes against our /csc/v1', async () => {
    const r = await run('pyhanko-v1', server.url);
    expect(r.target).toBe(`${server.url}/csc/v1`);
    expect(failed(r), describeFailures(r)).toEqual([]);
    expect(r.results.filter((x) => x.status === 'skip').map((x) => x.id)).toEqual([]);
    expect(byId(r, 'pyhanko.sign_hash').reason).toMatch(/DER ECDSA on P-256 verified/);
  }, 180_000);

  it('fails a server that drops the combined algorithm pyHanko picks, with pyhanko.key_algo', async () => {
    const url = await proxy({
      rewrite: (m, j) => (m === 'credentials/info' && typeof j.key === 'object' ? { ...j, key: { ...(j.key as object), algo: ['1.2.840.10045.2.1'] } } : j),
    });
    const r = await run('pyhanko-v1', url);
    expect(byId(r, 'pyhanko.key_algo').status).toBe('fail');
    expect(byId(r, 'pyhanko.key_algo').reason).toContain('lacks ecdsa-with-SHA256 (1.2.840.10045.4.3.2)');
  }, 180_000);

  it('fails a server that spells SAD in lower case, with pyhanko.authorize', async () => {
    const url = await proxy({ rewrite: (m, j) => (m === 'credentials/authorize' && 'SAD' in j ? { sad: j.SAD, expiresIn: j.expiresIn } : j) });
    const r = await run('pyhanko-v1', url);
    expect(byId(r, 'pyhanko.authorize')).toMatchObject({ status: 'fail', reason: 'no SAD: "Could not extract SAD value from auth response"' });
    expect(byId(r, 'pyhanko.sign_hash').status).toBe('skip');
  }, 180_000);
});

describe('profile eudi-rqes', () => {
  it('passes against a CSC v2.2 server (our service behind a v2.2 proxy), at the default base /csc/v2.2', async () => {
    const url = await proxy(v22());
    const r = await run('eudi-rqes', url);
    expect(r.target).toBe(`${url}/csc/v2.2`);
    expect(r.specification).toBe('CSC API v2.2.0.0, profile eudi-rqes');
    expect(failed(r), describeFailures(r)).toEqual([]);
    expect(r.results.filter((x) => x.status === 'skip').map((x) => x.id)).toEqual([]);
    expect(byId(r, 'eudi.sign_hash').reason).toMatch(/DER ECDSA on P-256 verified/);
  }, 180_000);

  it('passes against our own /csc/v2.2 base, no proxy in between', async () => {
    const r = await run('eudi-rqes', server.url);
    expect(r.target).toBe(`${server.url}/csc/v2.2`);
    expect(failed(r), describeFailures(r)).toEqual([]);
    expect(r.results.filter((x) => x.status === 'skip').map((x) => x.id)).toEqual([]);
    expect(byId(r, 'eudi.sign_hash').reason).toMatch(/DER ECDSA on P-256 verified/);
  }, 180_000);

  it('fails a server that refuses explicit nulls, with the eudi.nulls checks and eudi.sign_hash', async () => {
    const url = await proxy({ ...v22(), refuseNulls: true });
    const r = await run('eudi-rqes', url);
    for (const id of ['eudi.nulls.info', 'eudi.nulls.credentials_list', 'eudi.nulls.credentials_info', 'eudi.sign_hash']) expect(byId(r, id).status, id).toBe('fail');
    expect(byId(r, 'eudi.nulls.info').reason).toMatch(/^info \{"lang":null\} was refused: HTTP 400/);
  }, 180_000);

  it('fails a server without supportedHashTypes, with eudi.info.v22_members', async () => {
    const url = await proxy(v22((m, j) => (m === 'info' ? Object.fromEntries(Object.entries(j).filter(([k]) => k !== 'supportedHashTypes')) : j)));
    const r = await run('eudi-rqes', url);
    expect(byId(r, 'eudi.info.v22_members')).toMatchObject({ status: 'fail', reason: 'supportedHashTypes is missing: the wallet sends its digests as hashType "dtbsr"' });
  }, 180_000);

  it('fails a server that names the authorization server twice (as our v2.0 info does), with eudi.info.authorization_server', async () => {
    const url = await proxy(v22((m, j) => (m === 'info' ? { ...j, oauth2: `${server.url}/` } : j)));
    const r = await run('eudi-rqes', url);
    expect(byId(r, 'eudi.info.authorization_server').status).toBe('fail');
    expect(byId(r, 'eudi.info.authorization_server').reason).toMatch(/^both oauth2Issuer and oauth2 are given/);
  }, 180_000);

  it('fails a server with the v2.0 specs and a misspelled signAlgorithms, at a base path given explicitly', async () => {
    const url = await proxy({
      mapPath: (p) => p.replace(/^\/rqes\//, '/csc/v2/'),
      rewrite: (m, j) => {
        if (m !== 'info') return j;
        const { signAlgorithms, specs: _specs, ...rest } = asV22Info(j);
        return { ...rest, specs: '2.0.0.2', SignAlgorithms: signAlgorithms };
      },
    });
    const r = await run('eudi-rqes', `${url}/csc/v2.2`, '/rqes');
    expect(r.target).toBe(`${url}/rqes`);
    expect(byId(r, 'eudi.info.specs')).toMatchObject({ status: 'fail', reason: 'info.specs is "2.0.0.2": the rQES library works with CSC v2.2 servers only ("2.2.0.0")' });
    expect(byId(r, 'eudi.info.required_members').status).toBe('fail');
    expect(byId(r, 'eudi.info.required_members').reason).toContain('SignAlgorithms must be spelled "signAlgorithms"');
  }, 180_000);
});
