// Shared set-up for the SAM's tests that need PostgreSQL: the real SAM code and real PostgreSQL (sam/store/ is SQL), with the
// fake HSM and an injectable clock. Ids are random so that files can run in parallel on one database.
import { createHash, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { generate, ScureBase32Plugin } from 'otplib';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { createLogger, type Logger } from '../../../core/log.ts';
import { SamError, type KeyAlgo, type OtpChannel, type RequestContext, type SamErrorCode, type SignatureActivation } from '../../../core/sam_port.ts';
import { ensureDevCa, type CaStore, type CertificateAuthority } from '../../../sam/ca/dev_ca.ts';
import { createSamOnHsm } from '../../../sam/assemble.ts';
import { ensureCredentialSeal, sealRows } from '../../../sam/app/credential_seal.ts';
import type { OtpChallengePolicy } from '../../../sam/app/deps.ts';
import type { Notifier } from '../../../sam/notify/notifier.ts';
import { createFakeHsm, type FakeHsm } from '../../unit/sam/fake_hsm.ts';

export const SHA256 = '2.16.840.1.101.3.4.2.1';
export const SHA384 = '2.16.840.1.101.3.4.2.2';
export const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
export const RSA_SHA256 = '1.2.840.113549.1.1.11';
export const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
export const RSASSA_PSS = '1.2.840.113549.1.1.10';

export type Clock = { now: () => Date; advance(seconds: number): void };

/** Starts mid-way through a 30 s TOTP step so that a test never straddles a step boundary by accident. */
export function makeClock(): Clock {
  let t = Math.floor(Date.now() / 30_000) * 30_000 + 15_000;
  return { now: () => new Date(t), advance: (s) => void (t += s * 1000) };
}

export function memoryCaStore(): CaStore {
  const m = new Map<string, Uint8Array>();
  return { get: async (l) => m.get(l) ?? null, put: async (l, d) => void m.set(l, d) };
}

export type Env = { db: Db; hsm: FakeHsm; clock: Clock; sam: SignatureActivation; ca: CertificateAuthority; close(): Promise<void> };

export async function setup(
  opts: {
    maxFailures?: number;
    sadLifetimeSeconds?: number;
    log?: Logger;
    notifier?: Notifier;
    otpChallenge?: OtpChallengePolicy;
    sadMaxTransactionSeconds?: number;
    pinScryptLog2N?: number;
    factorFailureFloorMs?: number;
    /** What the development CA issues under (CA_CERTIFICATE_POLICIES). */
    certificatePolicies?: string[];
  } = {},
): Promise<Env> {
  const db = createPool(process.env.DATABASE_URL!, 8);
  await migrate(db);
  const hsm = createFakeHsm();
  const clock = makeClock();
  const ca = await ensureDevCa(hsm, memoryCaStore(), { now: clock.now, certificatePolicies: opts.certificatePolicies });
  const sam = await createSamOnHsm({
    db,
    hsm,
    ca,
    now: clock.now,
    log: opts.log ?? createLogger('silent'),
    notifier: opts.notifier,
    config: {
      otpChallenge: opts.otpChallenge,
      sadMaxTransactionSeconds: opts.sadMaxTransactionSeconds,
      tokenLabel: 'test',
      sessions: 1,
      sadLifetimeSeconds: opts.sadLifetimeSeconds ?? 300,
      maxFailures: opts.maxFailures ?? 5,
      pinScryptLog2N: opts.pinScryptLog2N,
      factorFailureFloorMs: opts.factorFailureFloorMs,
    },
  });
  return { db, hsm, clock, sam, ca, close: () => db.end() };
}

export const ctx = (): RequestContext => ({ requestId: randomUUID(), sourceIp: '203.0.113.7', userAgent: 'vitest' });

export type Signer = {
  userId: string;
  credentialID: string;
  pin: string;
  /** base32 TOTP secret as enrolled; undefined when the user has no OTP. */
  secret?: string;
  publicKeySpki: Uint8Array;
  certificates: Uint8Array[];
};

export async function newSigner(
  env: Env,
  opts: { algo?: KeyAlgo; otp?: boolean; pssOnly?: boolean; otpChannel?: OtpChannel; scal?: '1' | '2'; multisign?: number } = {},
): Promise<Signer> {
  const userId = `user-${randomUUID()}`;
  const credentialID = `cred-${randomUUID()}`;
  const pin = '4711-' + randomUUID().slice(0, 4);
  const { publicKeySpki, certificates } = await env.sam.createCredential({
    ctx: ctx(),
    credentialID,
    ownerId: userId,
    algo: opts.algo ?? 'EC-P256',
    pssOnly: opts.pssOnly,
    pin,
    subject: { commonName: 'Alice Test', email: 'alice@example.org' },
    otpChannel: opts.otpChannel,
    scal: opts.scal ?? '2',
    multisign: opts.multisign ?? 100,
  });
  let secret: string | undefined;
  if (opts.otp !== false) secret = (await env.sam.enrollOtp({ ctx: ctx(), userId, accountName: 'alice@example.org' })).secret;
  return { userId, credentialID, pin, secret, publicKeySpki, certificates };
}

/** The code an authenticator app shows at `now + offsetSteps * 30 s`, computed by otplib from the enrolled secret. */
export async function otpAt(env: Env, signer: Signer, offsetSteps = 0): Promise<string> {
  const epoch = Math.floor(env.clock.now().getTime() / 1000) + offsetSteps * 30;
  return generate({ secret: signer.secret!, epoch });
}

export function seedOf(signer: Signer): Uint8Array {
  return new ScureBase32Plugin().decode(signer.secret!);
}

export const digest = (text: string, alg: 'sha256' | 'sha384' | 'sha512' = 'sha256') =>
  new Uint8Array(createHash(alg).update(text).digest());

/** Activates with the right factors, moving the clock to a fresh TOTP step first (a step is single-use). */
export async function authorize(
  env: Env,
  signer: Signer,
  hashes: Uint8Array[] | undefined,
  opts: { numSignatures?: number; clientId?: string; hashAlgorithmOID?: string } = {},
): Promise<string> {
  env.clock.advance(30);
  const { sad } = await env.sam.activate({
    ctx: ctx(),
    userId: signer.userId,
    clientId: opts.clientId ?? 'client-a',
    credentialID: signer.credentialID,
    numSignatures: opts.numSignatures ?? hashes?.length ?? 1,
    hashes,
    hashAlgorithmOID: hashes ? (opts.hashAlgorithmOID ?? SHA256) : opts.hashAlgorithmOID,
    factors: { pin: signer.pin, otp: signer.secret ? await otpAt(env, signer) : undefined },
  });
  return sad;
}

export type AuditRow = {
  event: string;
  result: string;
  error_code: string | null;
  user_id: string | null;
  client_id: string | null;
  credential_id: string | null;
  hash_alg: string | null;
  sign_algo: string | null;
  hashes: string[] | null;
  sad_jti: string | null;
  num_signatures: number | null;
  amr: string[] | null;
  request_id: string;
  source_ip: string | null;
  user_agent: string | null;
};

export async function auditRows(db: Db, where: { requestId?: string; credentialId?: string; sadJti?: string }): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT event, result, error_code, user_id, client_id, credential_id, hash_alg, sign_algo, hashes, sad_jti,
            num_signatures, amr, request_id, source_ip, user_agent
       FROM sam.audit
      WHERE ($1::text IS NULL OR request_id = $1) AND ($2::text IS NULL OR credential_id = $2) AND ($3::text IS NULL OR sad_jti = $3)
      ORDER BY id`,
    [where.requestId ?? null, where.credentialId ?? null, where.sadJti ?? null],
  );
  return rows;
}

/** Runs `call` with a fresh request id, expects the exact SamError code, and the one audit row of that request
 *  to say 'refused' (or `result`) with the same code. */
export async function expectRefusal(
  env: Env,
  code: SamErrorCode,
  call: (c: RequestContext) => Promise<unknown>,
  result: 'refused' | 'error' = 'refused',
): Promise<SamError> {
  const c = ctx();
  const err = await call(c).then(
    () => {
      throw new Error(`expected ${code}, got success`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SamError);
  expect((err as SamError).code).toBe(code);
  const rows = await auditRows(env.db, { requestId: c.requestId });
  expect(rows.map((r) => [r.result, r.error_code])).toContainEqual([result, code]);
  return err as SamError;
}

/**
 * Sets a sealed field of a credential in SQL and seals the row again with the SAM's key, to stage a state the SAM
 * never writes itself (a certificate that expired, a SCAL raised). Without the new seal the row would be refused as
 * tampered (sam/app/credential_seal.ts), which is what the tampering tests show.
 */
export async function stage(env: Env, credentialID: string, sql: string, params: unknown[] = []): Promise<void> {
  await env.db.query(sql, [credentialID, ...params]);
  const seal = await ensureCredentialSeal(env.hsm, env.db, createLogger('silent'));
  expect(await sealRows(env.db, seal, { ids: [credentialID] })).toBe(1);
}

export function jtiOf(sad: string): string {
  return JSON.parse(Buffer.from(sad.split('.')[1]!, 'base64url').toString()).jti;
}
