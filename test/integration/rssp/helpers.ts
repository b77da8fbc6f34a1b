// Shared by the rssp tests that need PostgreSQL: the Koa app of cscV2Routes on an ephemeral port, in front of fakes of the SAM,
// the token verifier, service auth and the user directory, and the real PostgreSQL credential store.
import { captureLogger } from '../../capture_logger.ts';
export { captureLogger } from '../../capture_logger.ts';
import { createMemoryKv } from '../../../core/kv.ts';
import { RateLimiter, ratePolicy } from '../../../core/policy.ts';
import { memoryAudit } from '../../unit/memory_audit.ts';
import { fakeAuthzSecrets } from '../../unit/fake_authz_secrets.ts';
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import Koa from 'koa';
import { expect } from 'vitest';
import { KEY_OID, CURVE_OID, signAlgosFor } from '../../../core/algorithms.ts';
import { loadConfig } from '../../../core/config.ts';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { CscError } from '../../../core/errors.ts';
import type { AccessGrant, LoginResult, ServiceAuth, TokenVerifier, User, UserDirectory } from '../../../core/ports.ts';
import type { CredentialState, KeyAlgo, SamErrorCode, SignatureActivation } from '../../../core/sam_port.ts';
import { SamError } from '../../../core/sam_port.ts';
import { PgCredentialRepo } from '../../../rssp/adapters/credential_repo.ts';
import { PgDpopProofLedger } from '../../../rssp/adapters/dpop_proof_ledger.ts';
import type { CredentialRecord, NewCredentialRecord } from '../../../rssp/app/credential.ts';
import { CredentialService } from '../../../rssp/app/credential_service.ts';
import { cscV2Routes, type RsspDeps } from '../../../rssp/http/router.ts';
import { JobStore } from '../../../rssp/jobs/job_store.ts';
import { validateResponse, type CscOperation } from '../../../openapi/validate.ts';

export const rand = (n = 6) => randomBytes(n).toString('hex');
export const sha256 = (s: string) => createHash('sha256').update(s).digest();
export const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

export const OID = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecPublicKey: KEY_OID.ecPublicKey,
  rsaEncryption: KEY_OID.rsaEncryption,
  rsaSha256: '1.2.840.113549.1.1.11',
  pss: '1.2.840.113549.1.1.10',
};

// ---------------------------------------------------------------- certificates

export type TestChain = { leaf: Uint8Array; root: Uint8Array };

const ECDSA_SHA256 = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
const cn = (commonName: string) =>
  new Name([
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.10', value: new AttributeValue({ utf8String: 'Test' }) })]),
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: commonName }) })]),
  ]);

/** A DER X.509 v3 certificate signed with ECDSA P-256 / SHA-256 (built with asn1-x509 and node:crypto). */
function certificate(opts: { serial: Uint8Array; subject: string; issuer: string; notBefore: Date; notAfter: Date; spki: Uint8Array; signer: KeyObject }): Uint8Array {
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: opts.serial.buffer.slice(opts.serial.byteOffset, opts.serial.byteOffset + opts.serial.byteLength) as ArrayBuffer,
    signature: ECDSA_SHA256,
    issuer: cn(opts.issuer),
    validity: new Validity({ notBefore: opts.notBefore, notAfter: opts.notAfter }),
    subject: cn(opts.subject),
    subjectPublicKeyInfo: AsnConvert.parse(opts.spki, SubjectPublicKeyInfo),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign('sha256', tbsDer, opts.signer);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: ECDSA_SHA256, signatureValue: new Uint8Array(signature).buffer as ArrayBuffer });
  return new Uint8Array(AsnConvert.serialize(cert));
}

/** A root CA and an end-entity certificate for `commonName`, valid from notBefore to notAfter. */
export function makeChain(commonName: string, notBefore: Date, notAfter: Date): TestChain {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leafKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = (k: KeyObject) => new Uint8Array(k.export({ type: 'spki', format: 'der' }));
  const root = certificate({
    serial: new Uint8Array([1]),
    subject: 'Test Root CA',
    issuer: 'Test Root CA',
    notBefore: new Date(Date.now() - 86400_000),
    notAfter: new Date(Date.now() + 3650 * 86400_000),
    spki: spki(ca.publicKey),
    signer: ca.privateKey,
  });
  const leaf = certificate({
    serial: new Uint8Array([0x00, 0xc0, 0xff, 0xee, ...randomBytes(4)]),
    subject: commonName,
    issuer: 'Test Root CA',
    notBefore,
    notAfter,
    spki: spki(leafKey.publicKey),
    signer: ca.privateKey,
  });
  return { leaf, root };
}

// ---------------------------------------------------------------- fakes

type Call = { method: string; args: Record<string, unknown> };

/** A SAM that records every call and answers from plain data; `fail` makes a method throw. */
export class FakeSam implements SignatureActivation {
  calls: Call[] = [];
  states = new Map<string, CredentialState>();
  fail: Partial<Record<keyof SignatureActivation, Error>> = {};
  created: { certificates: Uint8Array[] } = { certificates: [new Uint8Array([0x30, 0x00])] };

  private record(method: keyof SignatureActivation, args: object) {
    this.calls.push({ method, args: args as Record<string, unknown> });
    const err = this.fail[method];
    if (err) throw err;
  }

  callsOf(method: keyof SignatureActivation) {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  setState(credentialID: string, keyAlgo: KeyAlgo, over: Partial<CredentialState> = {}) {
    const ec = keyAlgo.startsWith('EC-');
    this.states.set(credentialID, {
      credentialID,
      ownerId: 'unused',
      keyAlgo,
      signAlgos: signAlgosFor(keyAlgo),
      keyLength: ec ? (keyAlgo === 'EC-P256' ? 256 : 384) : Number(keyAlgo.slice(4)),
      ...(ec ? { curve: keyAlgo === 'EC-P256' ? CURVE_OID['P-256'] : CURVE_OID['P-384'] } : {}),
      enabled: true,
      locked: false,
      notBefore: new Date(Date.now() - 86400_000).toISOString(),
      notAfter: new Date(Date.now() + 365 * 86400_000).toISOString(),
      hasPin: true,
      otpChannel: 'totp',
      approval: 'inline',
      ...over,
    });
  }

  async createCredential(cmd: Parameters<SignatureActivation['createCredential']>[0]) {
    this.record('createCredential', cmd);
    return { publicKeySpki: new Uint8Array([1]), certificates: this.created.certificates };
  }
  async deleteCredential(cmd: Parameters<SignatureActivation['deleteCredential']>[0]) {
    this.record('deleteCredential', cmd);
    if (!this.states.delete(cmd.credentialID)) throw new SamError('SAM_CREDENTIAL_UNKNOWN');
    return { destroyedObjects: 2 };
  }
  async createCsr(cmd: Parameters<SignatureActivation['createCsr']>[0]) {
    this.record('createCsr', cmd);
    return { csr: new Uint8Array([0x30, 0x01, 0x00]) };
  }
  async installCertificates(cmd: Parameters<SignatureActivation['installCertificates']>[0]) {
    this.record('installCertificates', cmd);
    return { notBefore: new Date().toISOString(), notAfter: new Date().toISOString() };
  }
  async setEnabled(cmd: Parameters<SignatureActivation['setEnabled']>[0]) {
    this.record('setEnabled', cmd);
  }
  async unlock(cmd: Parameters<SignatureActivation['unlock']>[0]) {
    this.record('unlock', cmd);
  }
  async state(ids: string[]) {
    this.record('state', { ids });
    return ids.flatMap((id) => (this.states.has(id) ? [this.states.get(id)!] : []));
  }
  async enrollOtp(cmd: Parameters<SignatureActivation['enrollOtp']>[0]) {
    this.record('enrollOtp', cmd);
    return { secret: 'S', otpauthUri: 'otpauth://totp/x' };
  }
  async activate(cmd: Parameters<SignatureActivation['activate']>[0]) {
    this.record('activate', cmd);
    return { sad: `sad-${cmd.credentialID}-${cmd.numSignatures}`, expiresIn: 300 };
  }
  /** Each "signature" is the SHA-256 of its digest, so a test can tell which digest produced which answer. */
  async signHash(cmd: Parameters<SignatureActivation['signHash']>[0]) {
    this.record('signHash', cmd);
    return { signatures: cmd.hashes.map((h) => new Uint8Array(createHash('sha256').update(h).digest())) };
  }
  async getChallenge(cmd: Parameters<SignatureActivation['getChallenge']>[0]) {
    this.record('getChallenge', cmd);
    return { channel: 'email' as const, expiresIn: 300 };
  }
  async extendTransaction(cmd: Parameters<SignatureActivation['extendTransaction']>[0]) {
    this.record('extendTransaction', cmd);
    return { sad: `extended-${cmd.credentialID}`, expiresIn: 300 };
  }
  async requestApproval(cmd: Parameters<SignatureActivation['requestApproval']>[0]) {
    this.record('requestApproval', cmd);
    return { handle: `handle-${cmd.credentialID}`, expiresIn: 300 };
  }
  async checkApproval(cmd: Parameters<SignatureActivation['checkApproval']>[0]) {
    this.record('checkApproval', cmd);
    return { status: 'approved' as const, sad: `approved-${cmd.handle}`, expiresIn: 300 };
  }
  async approvalView(cmd: Parameters<SignatureActivation['approvalView']>[0]) {
    this.record('approvalView', cmd);
    return null;
  }
  async decideApproval(cmd: Parameters<SignatureActivation['decideApproval']>[0]) {
    this.record('decideApproval', cmd);
    return { state: cmd.approve ? ('approved' as const) : ('refused' as const) };
  }
  async revokeSads(cmd: Parameters<SignatureActivation['revokeSads']>[0]) {
    this.record('revokeSads', cmd);
    return { revoked: 0 };
  }
  async caCertificate() {
    return new Uint8Array([0x30, 0x00]);
  }
  /** A stand-in CRL (the real one is tested in test/integration/sam/crl.test.ts). */
  async crl() {
    return new Uint8Array([0x30, 0x00]);
  }
  /** A stand-in token (the SAM's TSA is tested in test/integration/sam/timestamp.test.ts). */
  async timestamp(cmd: Parameters<SignatureActivation['timestamp']>[0]) {
    this.record('timestamp', cmd);
    return { timestamp: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]) };
  }
  async issueActivation(): Promise<never> {
    throw new SamError('SAM_NOTIFY_FAILED');
  }
  async activationView() {
    return null;
  }
  async redeemActivation(): Promise<never> {
    throw new SamError('SAM_ACTIVATION_INVALID');
  }
  private readonly secrets = fakeAuthzSecrets();
  sealAuthzSecret = this.secrets.sealAuthzSecret;
  openAuthzSecret = this.secrets.openAuthzSecret;
}

export function samError(code: SamErrorCode) {
  return new SamError(code, 'detail for the log');
}

/** Tokens are whatever the test registers. */
export class FakeTokens implements TokenVerifier {
  grants = new Map<string, AccessGrant>();
  seen: string[] = [];
  issue(userId: string, over: Partial<AccessGrant> = {}): string {
    const token = `tok-${rand(8)}`;
    this.grants.set(token, {
      tokenId: `id-${token}`,
      userId,
      clientId: `login:${rand(4)}`,
      scope: 'service',
      expiresAt: new Date(Date.now() + 3600_000),
      ...over,
    });
    return token;
  }
  async verify(token: string): Promise<AccessGrant> {
    this.seen.push(token);
    if (token.startsWith('expired-')) throw new CscError('expiredToken');
    const grant = this.grants.get(token);
    if (!grant) throw new CscError('invalidToken');
    return grant;
  }
}

export class FakeAuth implements ServiceAuth {
  logins: Parameters<ServiceAuth['login']>[0][] = [];
  revokes: Parameters<ServiceAuth['revoke']>[0][] = [];
  result: LoginResult = { access_token: 'new-access-token', expires_in: 3600 };
  async login(cmd: Parameters<ServiceAuth['login']>[0]): Promise<LoginResult> {
    this.logins.push(cmd);
    if (cmd.basic && cmd.basic.password !== 'right') throw new CscError('invalidCredentials');
    return cmd.rememberMe ? { ...this.result, refresh_token: 'new-refresh-token' } : this.result;
  }
  async revoke(cmd: Parameters<ServiceAuth['revoke']>[0]) {
    this.revokes.push(cmd);
    if (cmd.token === 'not-mine') throw new CscError('invalidTokenParameter');
    return { userId: cmd.caller.userId, clientId: cmd.caller.clientId };
  }
}

export class FakeUsers implements UserDirectory {
  users = new Map<string, User>();
  add(over: Partial<User> = {}): User {
    const id = over.id ?? `user-${rand()}`;
    const user: User = { id, username: `u-${rand(4)}`, name: null, email: null, phone: null, ...over };
    this.users.set(id, user);
    return user;
  }
  async byId(id: string) {
    return this.users.get(id) ?? null;
  }
  async byUsername(username: string) {
    return [...this.users.values()].find((u) => u.username === username) ?? null;
  }
}

// ---------------------------------------------------------------- the app

export type TestApp = {
  url: string;
  db: Db;
  repo: PgCredentialRepo;
  sam: FakeSam;
  tokens: FakeTokens;
  auth: FakeAuth;
  users: FakeUsers;
  credentials: CredentialService;
  logLines: string[];
  deps: RsspDeps;
  close(): Promise<void>;
};

export async function startApp(): Promise<TestApp> {
  const db = createPool(process.env.DATABASE_URL!, 4);
  await migrate(db, ['rssp']);
  const repo = new PgCredentialRepo(db);
  const sam = new FakeSam();
  const tokens = new FakeTokens();
  const auth = new FakeAuth();
  const users = new FakeUsers();
  const credentials = new CredentialService({ repo, sam, users });
  const { log, lines } = captureLogger();
  // The real limiter on an in-memory store, with ceilings no test here reaches (the limits have tests of their own).
  const config = loadConfig({
    NODE_ENV: 'test',
    PUBLIC_URL: 'https://csc.example.test',
    SERVICE_REGION: 'BE',
    AUTHORIZE_RATE_PER_CLIENT: '1000000',
    AUTHORIZE_RATE_PER_IP: '1000000',
    LOGIN_RATE_PER_IP: '1000000',
    SIGN_RATE_PER_CLIENT: '100000000',
  });
  const limits = { limiter: new RateLimiter(createMemoryKv(), log), policy: ratePolicy(config.policy) };
  const deps: RsspDeps = { config, log, sam, tokens, auth, users, credentials, audit: memoryAudit(), limits, jobs: new JobStore(db, `unit-${rand(6)}`),
    dpopProofs: new PgDpopProofLedger(db) };
  const app = new Koa();
  app.silent = true;
  app.use(cscV2Routes(deps));
  app.use((ctx) => {
    ctx.status = 418; // proves that other paths fall through
    ctx.body = 'not csc';
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    db,
    repo,
    sam,
    tokens,
    auth,
    users,
    credentials,
    logLines: lines,
    deps,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.end();
    },
  };
}

/** A user with a login token, owning nothing yet. */
export function signer(app: TestApp, grant: Partial<AccessGrant> = {}) {
  const user = app.users.add({ name: 'Alice Example', email: 'alice@example.org' });
  return { user, token: app.tokens.issue(user.id, grant) };
}

/** A credential record stored in PostgreSQL and known to the fake SAM. */
export async function addCredential(
  app: TestApp,
  ownerId: string,
  over: Partial<NewCredentialRecord> = {},
  state: Partial<CredentialState> = {},
): Promise<CredentialRecord> {
  const record = await app.repo.insert({
    credentialID: `cred-${rand(8)}`,
    ownerId,
    description: null,
    scal: '2',
    authMode: 'explicit',
    multisign: 1,
    keyAlgo: 'EC-P256',
    certificates: [new Uint8Array([0x30, 0x00])],
    ...over,
  });
  app.sam.setState(record.credentialID, record.keyAlgo, state);
  return record;
}

export type Res = { status: number; body: any; headers: Headers; text: string };

/** POST a CSC method. `body` undefined sends no body; a string is sent as is. */
export async function call(
  app: TestApp,
  op: string,
  body: unknown,
  opts: { bearer?: string; authorization?: string; contentType?: string | null; method?: string; headers?: Record<string, string> } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.contentType !== null) headers['content-type'] = opts.contentType ?? 'application/json';
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${app.url}/csc/v2/${op}`, { method: opts.method ?? 'POST', headers, body: payload });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}

/** `call`, then the response checked against the OpenAPI document (status, schema, JSON content type). */
export async function csc(app: TestApp, op: CscOperation, body: unknown, opts: Parameters<typeof call>[3] = {}): Promise<Res> {
  const res = await call(app, op, body, opts);
  if (res.status !== 204) expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(validateResponse(op, res.status, res.body), `${op} ${res.status} ${res.text}`).toEqual([]);
  return res;
}

export const refusal = (status: number, error: string, error_description: string) => ({ status, body: { error, error_description } });
