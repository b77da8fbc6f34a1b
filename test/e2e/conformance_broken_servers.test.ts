// Issue #5 item 3: the conformance kit must catch real mistakes. A small RSSP imitation, correct by default, is
// broken one way at a time — raw r||s ECDSA, 500 on bad input, an info method list that lies, a SAD that does not
// bind the hashes — and the kit must report exactly the checks that each flaw breaks, and pass the correct one.
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { p256 } from '@noble/curves/nist.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { runConformance } from '../../conformance/runner.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

type Flaws = { rawEcdsa?: boolean; serverErrorOnBadInput?: boolean; lyingMethodList?: boolean; hashNotBoundToSad?: boolean; sloppyEncodings?: boolean; rootFirst?: boolean; throttleAuthorize?: boolean; foreignIssuer?: boolean };

type FakeCredential = { id: string; secretKey: Uint8Array; cert: X509Certificate; ca: X509Certificate };

const IMPLEMENTED = ['info', 'auth/login', 'auth/revoke', 'credentials/list', 'credentials/info', 'credentials/authorize', 'signatures/signHash'];
const SPEC_METHODS = [...IMPLEMENTED, 'credentials/authorizeCheck', 'credentials/getChallenge', 'credentials/extendTransaction', 'credentials/sendOTP', 'signatures/signDoc', 'signatures/signPolling', 'signatures/timestamp'];

/** A P-256 key and its certificate, issued by a throw-away CA with openssl as an outside CA would. */
async function fakeCredential(id: string): Promise<FakeCredential> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rssp-fake-'));
  const f = (name: string) => path.join(dir, name);
  writeFileSync(f('key.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }));
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-subj', `/CN=Fake CA ${id}`, '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  await run('openssl', ['req', '-new', '-key', f('key.pem'), '-subj', `/CN=Fake Signer ${id}`, '-out', f('ee.csr')]);
  await run('openssl', ['x509', '-req', '-in', f('ee.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-set_serial', '0x0a1b2c3d4e5f', '-days', '1', '-out', f('ee.pem')]);
  return {
    id,
    secretKey: Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url'),
    cert: new X509Certificate(readFileSync(f('ee.pem'))),
    ca: new X509Certificate(readFileSync(f('ca.pem'))),
  };
}

const gt = (d: string) => new Date(d).toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}/, '');

function credentialInfo(c: FakeCredential, certificates: string, flaws: Flaws) {
  const sloppy = flaws.sloppyEncodings;
  const chain = flaws.rootFirst ? [c.ca, c.cert] : [c.cert, c.ca];
  if (sloppy) {
    // The usual slips: SCAL and multisign with each other's types, a decimal serial, ISO dates, PEM-style line breaks.
    const b64 = c.cert.raw.toString('base64');
    return {
      key: { status: 'enabled', algo: ['1.2.840.10045.4.3.2'], len: 256, curve: '1.2.840.10045.3.1.7' },
      cert: {
        ...(certificates === 'none' ? {} : { certificates: [b64.replace(/(.{64})/g, '$1\n')] }),
        issuerDN: c.cert.issuer,
        serialNumber: BigInt(`0x${c.cert.serialNumber}`).toString(10),
        subjectDN: c.cert.subject,
        validFrom: new Date(c.cert.validFrom).toISOString(),
        validTo: gt(c.cert.validTo),
      },
      auth: { mode: 'explicit', objects: [{ type: 'Password', id: 'PIN', format: 'N' }] },
      SCAL: 2,
      multisign: '2',
    };
  }
  return {
    key: { status: 'enabled', algo: ['1.2.840.10045.4.3.2', '1.2.840.10045.2.1'], len: 256, curve: '1.2.840.10045.3.1.7' },
    cert: {
      status: 'valid',
      ...(certificates === 'none' ? {} : { certificates: (certificates === 'single' ? [c.cert] : chain).map((x) => x.raw.toString('base64')) }),
      issuerDN: c.cert.issuer,
      serialNumber: c.cert.serialNumber,
      subjectDN: c.cert.subject,
      validFrom: gt(c.cert.validFrom),
      validTo: gt(c.cert.validTo),
    },
    auth: { mode: 'explicit', expression: 'PIN', objects: [{ type: 'Password', id: 'PIN', format: 'N', label: 'PIN' }] },
    SCAL: '2',
    multisign: 2,
  };
}

class Refusal extends Error {
  constructor(readonly status: number, readonly error: string, readonly description: string) {
    super(description);
  }
}

/** An RSSP imitation: the CSC v2 explicit flow done right, unless a flaw says otherwise. */
async function fakeRssp(flaws: Flaws, creds: FakeCredential[]): Promise<{ url: string; close(): Promise<void> }> {
  const tokens = new Set<string>();
  const sads = new Map<string, { credentialID: string; hashes: Set<string>; remaining: number }>();
  const bad = (description: string) => new Refusal(400, 'invalid_request', description);
  const listed = flaws.lyingMethodList ? [...IMPLEMENTED.filter((m) => m !== 'auth/revoke'), 'signatures/signDoc'] : IMPLEMENTED;

  function handle(method: string, auth: string | undefined, body: Record<string, unknown>, origin: string): unknown {
    if (method !== 'info' && method !== 'auth/login') {
      if (!auth) throw new Refusal(401, 'invalid_token', 'Missing access token');
      const m = /^Bearer (\S+)$/.exec(auth);
      if (!m) throw bad('Malformed authorization header');
      if (!tokens.has(m[1]!)) throw new Refusal(401, 'invalid_token', 'Invalid access token');
    }
    const cred = () => {
      if (typeof body.credentialID !== 'string') throw bad('Missing (or invalid type) string parameter credentialID');
      return creds.find((c) => c.id === body.credentialID) ?? (() => { throw bad('Invalid parameter credentialID'); })();
    };
    const certificates = () => {
      const v = body.certificates ?? 'single';
      if (!['none', 'single', 'chain'].includes(v as string)) throw bad('Invalid parameter certificates');
      return v as string;
    };
    switch (method) {
      case 'info':
        if (body.lang !== undefined && typeof body.lang !== 'string') throw bad('Invalid parameter lang');
        return { specs: '2.0.0.2', name: 'Fake RSSP', logo: 'https://fake.example/logo.png', region: 'IT', lang: 'en', description: 'An imitation', authType: ['basic', 'oauth2code'], oauth2Issuer: origin, methods: listed,
          signAlgorithms: { algos: ['1.2.840.10045.4.3.2', '1.2.840.10045.2.1'] }, signature_formats: { formats: [] }, conformance_levels: [] };
      case 'auth/login': {
        if (auth !== `Basic ${Buffer.from('alice:secret').toString('base64')}`) throw new Refusal(400, 'authentication_error', 'Wrong username or password');
        const token = randomBytes(16).toString('hex');
        tokens.add(token);
        return { access_token: token, expires_in: 3600 };
      }
      case 'auth/revoke': {
        if (typeof body.token !== 'string') throw bad('Missing (or invalid type) string parameter token');
        if (body.token_type_hint !== undefined && !['access_token', 'refresh_token'].includes(body.token_type_hint as string)) throw bad('Invalid string parameter token_type_hint');
        if (!tokens.delete(body.token)) throw bad('Invalid string parameter token');
        return undefined;
      }
      case 'credentials/list': {
        const c = certificates();
        return { credentialIDs: creds.map((x) => x.id), ...(body.credentialInfo === true ? { credentialInfos: creds.map((x) => ({ credentialID: x.id, ...credentialInfo(x, c, flaws) })) } : {}) };
      }
      case 'credentials/info':
        return credentialInfo(cred(), certificates(), flaws);
      case 'credentials/authorize': {
        if (flaws.throttleAuthorize) throw new Refusal(429, 'access_denied', 'Too many requests');
        const c = cred();
        const n = body.numSignatures;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 2) throw bad('Invalid value for parameter numSignatures');
        if (!Array.isArray(body.hashes) || body.hashes.length !== n) throw bad('Missing (or invalid type) array parameter hashes');
        const pin = (body.authData as { id: string; value: string }[] | undefined)?.find((d) => d.id === 'PIN')?.value;
        if (pin !== '1234') throw new Refusal(400, 'invalid_pin', 'The PIN is invalid');
        const sad = randomBytes(16).toString('hex');
        sads.set(sad, { credentialID: c.id, hashes: new Set(body.hashes as string[]), remaining: n });
        return { SAD: sad, expiresIn: 300 };
      }
      case 'signatures/signHash': {
        const c = cred();
        if (typeof body.SAD !== 'string') throw bad('Missing (or invalid type) string parameter SAD');
        if (!Array.isArray(body.hashes) || body.hashes.length === 0) throw bad('Empty hash array');
        const hashes = body.hashes.map((h) => {
          if (typeof h !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(h)) throw bad('Invalid Base64 hash string parameter');
          return h;
        });
        const sad = sads.get(body.SAD);
        if (!sad || sad.credentialID !== c.id) throw bad('Invalid parameter SAD');
        for (const h of hashes) if (Buffer.from(h, 'base64').length !== 32) throw bad('Invalid digest value length');
        if (!flaws.hashNotBoundToSad) for (const h of hashes) if (!sad.hashes.has(h)) throw bad('Hash is not authorized by the SAD');
        if (hashes.length > sad.remaining) throw bad('The SAD has been used for all the signatures it authorizes');
        sad.remaining -= hashes.length;
        const format = flaws.rawEcdsa ? 'compact' : 'der';
        return { signatures: hashes.map((h) => Buffer.from(p256.sign(Buffer.from(h, 'base64'), c.secretKey, { prehash: false, format })).toString('base64')) };
      }
    }
    throw new Error('unreachable');
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url === '/.well-known/oauth-authorization-server') {
        // RFC 8414 metadata of the imitation's (pretend) authorization server; the flaw names another issuer.
        const origin = `http://${req.headers.host}`;
        return send(200, { issuer: flaws.foreignIssuer ? 'https://login.example' : origin, authorization_endpoint: `${origin}/oauth2/authorize`, token_endpoint: `${origin}/oauth2/token` });
      }
      const method = (req.url ?? '').replace(/^\/csc\/v2\//, '');
      if (!listed.includes(method) && !IMPLEMENTED.includes(method)) {
        return SPEC_METHODS.includes(method) ? send(501, { error: 'not_implemented', error_description: 'Not implemented' }) : send(404, { error: 'invalid_request', error_description: 'Unknown method' });
      }
      if (method === 'signatures/signDoc') return send(501, { error: 'not_implemented', error_description: 'Not implemented' });
      try {
        let body: unknown;
        try {
          body = raw ? JSON.parse(raw) : {};
        } catch {
          throw bad('The body is not JSON');
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('The body must be a JSON object');
        const out = handle(method, req.headers.authorization, body as Record<string, unknown>, `http://${req.headers.host}`);
        send(out === undefined ? 204 : 200, out);
      } catch (err) {
        if (!(err instanceof Refusal)) return send(500, { error: 'server_error', error_description: 'Unexpected' });
        // The flaw: input the service did not expect ends in a server error instead of a 400.
        if (flaws.serverErrorOnBadInput && err.status === 400) return send(500, { error: 'server_error', error_description: 'TypeError: cannot read properties of undefined' });
        if (err.status === 429) res.setHeader('Retry-After', '60');
        send(err.status, { error: err.error, error_description: err.description });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/csc/v2`, close: () => new Promise((r) => server.close(() => r())) };
}

let creds: FakeCredential[];

beforeAll(async () => {
  creds = await Promise.all(['cred-a', 'cred-b'].map(fakeCredential));
});

async function failuresAgainst(flaws: Flaws) {
  const fake = await fakeRssp(flaws, creds);
  try {
    const report = await runConformance({ baseUrl: fake.url, username: 'alice', password: 'secret', credentialID: 'cred-a', pin: '1234' });
    return { report, failed: Object.fromEntries(report.results.filter((r) => r.status === 'fail').map((r) => [r.id, r.reason])) };
  } finally {
    await fake.close();
  }
}

/** The imitation lists no signatures/timestamp, so the kit's timestamp checks skip. */
const NOT_OFFERED_TIMESTAMP = ['token', 'missing_hash', 'bad_hash_algo', 'bad_nonce', 'bad_length'].map((c) => [`timestamp.${c}`, 'signatures/timestamp is not listed in info.methods']);

describe('conformance kit against deliberately broken servers', () => {
  it('passes a correct imitation: no failure, and no skip but the methods it does not offer (signDoc, timestamp)', async () => {
    const { report, failed } = await failuresAgainst({});
    expect(failed).toEqual({});
    expect(report.results.filter((r) => r.status === 'skip').map((r) => [r.id, r.reason])).toEqual([
      ['signing.sign_doc_cades', 'signatures/signDoc is not listed in info.methods'],
      ...NOT_OFFERED_TIMESTAMP,
    ]);
    expect(report.results.find((r) => r.id === 'signing.sign_hash')!.reason).toBe('ecdsa-with-SHA256: DER ECDSA on P-256 verified');
  });

  it('raw r||s ECDSA: the signature checks fail and say so', async () => {
    const { failed } = await failuresAgainst({ rawEcdsa: true });
    expect(Object.keys(failed).sort()).toEqual(['signing.second_hash', 'signing.sign_hash']);
    expect(failed['signing.sign_hash']).toBe('signatures[0]: ECDSA signature is raw r||s (64 bytes), not DER Ecdsa-Sig-Value (RFC 3279 §2.2.3)');
  });

  it('500 on bad input: every malformed-input probe fails with the server error', async () => {
    const { failed } = await failuresAgainst({ serverErrorOnBadInput: true });
    const ids = Object.keys(failed);
    for (const id of ['errors.not_json[info]', 'errors.wrong_type[info.lang]', 'errors.not_json[auth/login]', 'errors.missing_credential_id[credentials/info]',
      'errors.invalid_certificates[credentials/info]', 'errors.unknown_credential[credentials/info]', 'errors.invalid_num_signatures[credentials/authorize]',
      'errors.invalid_sad[signatures/signHash]', 'errors.invalid_base64[signatures/signHash]', 'signing.wrong_length_hash', 'scal2.hash_not_authorized']) {
      expect(ids).toContain(id);
    }
    expect(failed['errors.missing_credential_id[credentials/info]']).toMatch(/^credentials\/info: answered 500, a server error, to a client mistake \(expected 400\)/);
    // What is not bad input still works: the round trip passes.
    expect(ids).not.toContain('signing.sign_hash');
    expect(ids).not.toContain('errors.invalid_token[credentials/list]');
  });

  it('an info method list that lies: listed-but-absent and present-but-unlisted are both reported', async () => {
    const { failed } = await failuresAgainst({ lyingMethodList: true });
    expect(failed).toMatchObject({
      'info.listed_methods_answer': 'signatures/signDoc is listed but answers 501',
      'info.unlisted_methods_refused': 'auth/revoke is not listed but answers 401 (expected 501 Not Implemented, or 404)',
    });
    // The listed-but-absent method also fails every malformed-input probe sent to it, and says why.
    expect(Object.keys(failed).sort()).toEqual([
      'errors.invalid_token[signatures/signDoc]', 'errors.json_array[signatures/signDoc]', 'errors.missing_token[signatures/signDoc]', 'errors.not_json[signatures/signDoc]',
      'info.listed_methods_answer', 'info.unlisted_methods_refused',
    ]);
    expect(failed['errors.missing_token[signatures/signDoc]']).toMatch(/^signatures\/signDoc: answered 501 Not Implemented instead of 401 or 400: is the method really there\?/);
  });

  it('a SAD that does not bind the hashes: the SCAL2 check fails', async () => {
    const { failed } = await failuresAgainst({ hashNotBoundToSad: true });
    expect(failed['scal2.hash_not_authorized']).toBe('signed a hash that was not authorized: the SAD is not bound to the hashes (SCAL 2 broken)');
    // The stray signature used up one of the SAD's two: the second authorized hash is then refused, as it should be.
    expect(Object.keys(failed).sort()).toEqual(['scal2.hash_not_authorized', 'signing.second_hash']);
  });

  it('a chain with the root first: order, certInfo and the signature checks fail, each saying why', async () => {
    const { failed } = await failuresAgainst({ rootFirst: true });
    expect(failed['credentials.info_certificates']).toBe(
      'cert.certificates[0] is a CA certificate, not the end entity; cert.certificates[0] is not issued by cert.certificates[1] (wrong order or foreign certificate)',
    );
    expect(failed['credentials.info_cert_info']).toMatch(/^cert\.serialNumber 0A1B2C3D4E5F differs from the certificate's [0-9A-F]+/);
    expect(failed['signing.sign_hash']).toBe('signatures[0]: DER ECDSA signature does not verify under the certificate key');
    expect(Object.keys(failed).sort()).toEqual([
      'credentials.info_cert_info', 'credentials.info_certificates', 'credentials.info_certificates_single_none', 'signing.second_hash', 'signing.sign_hash',
    ]);
  });

  it('sloppy encodings: SCAL as a number, multisign as a string, decimal serial, ISO dates, line breaks in base64', async () => {
    const { failed } = await failuresAgainst({ sloppyEncodings: true });
    expect(failed['credentials.info']).toBe('SCAL 2 is not the string "1" or "2"; multisign "2" is not a number ≥ 1');
    expect(failed['credentials.info_certificates']).toBe('cert.certificates[0] contains line breaks (CSC v2 §5.2 forbids them)');
    expect(failed['credentials.info_cert_info']).toMatch(/^cert\.serialNumber \d+ differs from the certificate's [0-9A-F]+; cert\.validFrom "\d{4}-\d\d-\d\dT[^"]+Z" is not GeneralizedTime YYYYMMDDHHMMSSZ$/);
    expect(failed['credentials.list_credential_info']).toContain('credentialInfos[0]: SCAL 2 is not the string "1" or "2"');
    // SCAL given as a number is not "2": the kit does not assume hash binding, and says why it skips.
    expect(Object.keys(failed).sort()).toEqual(['credentials.info', 'credentials.info_cert_info', 'credentials.info_certificates', 'credentials.list_credential_info']);
  });

  it('a throttled service (429) is not a failure: the checks it blocks are skipped with the wait it asked for', async () => {
    const { report, failed } = await failuresAgainst({ throttleAuthorize: true });
    expect(failed).toEqual({});
    expect(report.results.find((r) => r.id === 'signing.authorize')).toMatchObject({
      status: 'skip',
      reason: 'credentials/authorize: the service throttled the request (429, Retry-After 60); run again later or against a less busy account',
    });
  });

  it('OAuth metadata naming another issuer than info.oauth2Issuer is reported', async () => {
    const { failed } = await failuresAgainst({ foreignIssuer: true });
    expect(failed).toEqual({ 'info.oauth2_issuer_metadata': expect.stringMatching(/^metadata issuer "https:\/\/login\.example" differs from oauth2Issuer "http:\/\/127\.0\.0\.1:\d+"$/) });
  });

  it('with --token: auth/login is not exercised and the token is never revoked', async () => {
    const fake = await fakeRssp({}, creds);
    try {
      const login = await fetch(`${fake.url}/auth/login`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}`, 'content-type': 'application/json' }, body: '{}' });
      const { access_token } = (await login.json()) as { access_token: string };
      const report = await runConformance({ baseUrl: fake.url, token: access_token, pin: '1234' });
      expect(report.summary.fail).toBe(0);
      expect(report.results.filter((r) => r.status === 'skip').map((r) => [r.id, r.reason])).toEqual([
        ['auth.login', 'a token was given (--token); auth/login not exercised'],
        ['signing.sign_doc_cades', 'signatures/signDoc is not listed in info.methods'],
        ...NOT_OFFERED_TIMESTAMP,
        ['auth.revoke', 'the token was given (--token); the kit revokes only tokens it obtained itself'],
      ]);
      const still = await fetch(`${fake.url}/credentials/list`, { method: 'POST', headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }, body: '{}' });
      expect(still.status).toBe(200);
    } finally {
      await fake.close();
    }
  });

  it('the CLI exits 1 and writes the failure into report.json and junit.xml', async () => {
    const fake = await fakeRssp({ rawEcdsa: true }, creds);
    const out = mkdtempSync(path.join(os.tmpdir(), 'rssp-conformance-'));
    try {
      const err = await run(process.execPath, ['--import', 'tsx', 'conformance/cli.ts', '--base-url', fake.url, '--username', 'alice', '--password', 'secret', '--pin', '1234', '--quiet', '--out', out], { cwd: ROOT }).then(
        () => undefined,
        (e: { code: number; stdout: string }) => e,
      );
      expect(err?.code).toBe(1);
      expect(err?.stdout).toMatch(/^FAIL  signing\.sign_hash  \[CSC v2 §11\.10; RFC 3279 §2\.2\.3.*raw r\|\|s/m);
      expect(err?.stdout).not.toMatch(/^PASS/m);
      const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
      expect(report.summary.fail).toBe(2);
      const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
      expect(junit).toContain('<failure message="signatures[0]: ECDSA signature is raw r||s (64 bytes), not DER Ecdsa-Sig-Value (RFC 3279 §2.2.3)"');
    } finally {
      await fake.close();
    }
  });
});

it('the fake signs what it is given: a DER signature from it verifies with Node over the message', async () => {
  // Guards the imitation itself, so that a kit failure above is the kit's finding and not the fake's bug.
  const digest = createHash('sha256').update('m').digest();
  const sig = p256.sign(digest, creds[0]!.secretKey, { prehash: false, format: 'der' });
  const { verify } = await import('node:crypto');
  expect(verify('sha256', Buffer.from('m'), creds[0]!.cert.publicKey, sig)).toBe(true);
});
