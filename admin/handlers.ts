// What each admin route does. Users live in authz, credential records in rssp, keys and factors in the SAM: the
// admin API only composes them, through the same ports the CSC API uses (DESIGN §6), so it cannot bypass a rule
// that those parts enforce.
import { CscError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { AuditTrail } from '../core/audit_port.ts';
import type { User } from '../core/ports.ts';
import type { RequestContext, SignatureActivation } from '../core/sam_port.ts';
import type { ClientRegistry } from '../authz/oauth/clients.ts';
import type { UserStore } from '../authz/users.ts';
import type { CredentialService } from '../rssp/app/credential_service.ts';
import { certificatesFromPem, toPem } from './pem.ts';
import { matching, onlyKnown, oneOf, optionalInt, optionalString, requiredString, type Body } from './params.ts';
import type { OutboxReader } from '../core/ports.ts';

export type AdminDeps = {
  adminToken: string;
  log: Logger;
  sam: SignatureActivation;
  users: Pick<UserStore, 'create' | 'byUsername' | 'byId'>;
  credentials: Pick<CredentialService, 'create' | 'get' | 'listByOwner' | 'importChain' | 'csr'>;
  /** OAuth clients of the authorization server (authz/oauth/clients.ts); absent, the client routes answer 404. */
  clients?: Pick<ClientRegistry, 'create' | 'list' | 'delete'>;
  /** Rotation of the authorization server's keys (authz/oauth/keys.ts). */
  oauthKeys?: { rotate(): Promise<{ kid: string }> };
  /** The audit trail: every admin action is recorded in it, and exported from it. */
  audit: AuditTrail;
  /** The development outbox of out-of-band messages (outbox:show). */
  outbox?: OutboxReader;
};

export type AdminRequest = { params: string[]; body: Body; ctx: RequestContext };

/** `audit` is what the access log records about the action: identifiers and outcomes, never a secret. */
export type AdminResult = { status: number; body: unknown; audit: Record<string, unknown> };

export type Handler = (deps: AdminDeps, req: AdminRequest) => Promise<AdminResult>;

export const ALGOS = ['ES256', 'ES384', 'RS256', 'RS384', 'PS256'] as const;

/** The PIN is announced to clients as numeric (credentials/info auth objects, format "N", CSC v2 §11.5). */
export const PIN_PATTERN = /^[0-9]{4,16}$/;

async function userNamed(deps: AdminDeps, username: string): Promise<User> {
  const user = await deps.users.byUsername(username);
  if (!user) throw new CscError('userNotFound');
  return user;
}

async function requireCredential(deps: AdminDeps, credentialID: string) {
  const record = await deps.credentials.get(credentialID);
  if (!record) throw new CscError('credentialNotFound');
  return record;
}

export const createUser: Handler = async (deps, { body }) => {
  onlyKnown(body, ['username', 'password', 'name', 'email', 'phone']);
  const username = requiredString(body, 'username');
  const password = requiredString(body, 'password');
  const { userId } = await deps.users.create({
    username,
    password,
    name: optionalString(body, 'name', 200),
    email: optionalString(body, 'email', 254),
    phone: optionalString(body, 'phone', 32),
  });
  return { status: 201, body: { userId }, audit: { username, userId } };
};

export const enrollOtp: Handler = async (deps, { params, body, ctx }) => {
  onlyKnown(body, []);
  const user = await userNamed(deps, params[0]!);
  // Re-enrolling replaces the seed: the operator hands the new secret to the user, the old app stops working.
  const { secret, otpauthUri } = await deps.sam.enrollOtp({ ctx, userId: user.id, accountName: user.username });
  return { status: 201, body: { secret, otpauthUri }, audit: { username: user.username, userId: user.id } };
};

export const createCredential: Handler = async (deps, { params, body, ctx }) => {
  onlyKnown(body, ['algo', 'rsaBits', 'pin', 'multisign', 'scal', 'authMode', 'description', 'otp', 'approval']);
  const user = await userNamed(deps, params[0]!);
  const algo = oneOf(body, 'algo', ALGOS, true)!;
  const rsaBits = oneOf(body, 'rsaBits', [2048, 3072] as const, false);
  if (rsaBits !== undefined && algo.startsWith('ES')) {
    throw new CscError('invalidRequest', { description: 'Invalid parameter rsaBits: only for RS256, RS384 and PS256' });
  }
  const pin = matching(body, 'pin', PIN_PATTERN, '4 to 16 digits');
  const multisign = optionalInt(body, 'multisign', 1, 1000);
  const scal = oneOf(body, 'scal', ['1', '2'] as const, false);
  const authMode = oneOf(body, 'authMode', ['explicit', 'oauth2code'] as const, false);
  // CSC v2 §11.4 bounds the description to 255 characters.
  const description = optionalString(body, 'description', 255);
  // Where the one-time password comes from: an authenticator app (default) or a code sent per getChallenge.
  const otpChannel = oneOf(body, 'otp', ['totp', 'email', 'sms'] as const, false);
  // 'async': credentials/authorize answers 202 and the person approves on the page sent to them (CSC v2 §11.7).
  const approval = oneOf(body, 'approval', ['inline', 'async'] as const, false);
  const { credentialID } = await deps.credentials.create(ctx, {
    ownerId: user.id,
    algo,
    rsaBits,
    pin,
    multisign,
    scal,
    authMode,
    description,
    otpChannel,
    approval,
  });
  return {
    status: 201,
    body: { credentialID },
    audit: { username: user.username, userId: user.id, credentialID, algo, rsaBits, multisign, scal, authMode, otpChannel, approval },
  };
};

export const listCredentials: Handler = async (deps, { params }) => {
  const user = await userNamed(deps, params[0]!);
  const records = await deps.credentials.listByOwner(user.id);
  // One batched call for the SAM's view (enabled, locked, validity); the SAM is the authority on those.
  const states = new Map((records.length ? await deps.sam.state(records.map((r) => r.credentialID)) : []).map((s) => [s.credentialID, s]));
  const credentials = records.map((r) => {
    const s = states.get(r.credentialID);
    return {
      credentialID: r.credentialID,
      description: r.description,
      keyAlgo: r.keyAlgo,
      scal: r.scal,
      authMode: r.authMode,
      multisign: r.multisign,
      // A credential the SAM does not know cannot sign: reported as disabled rather than guessed.
      enabled: s?.enabled ?? false,
      locked: s?.locked ?? false,
      validity: s?.notBefore && s.notAfter ? { notBefore: s.notBefore, notAfter: s.notAfter } : null,
      createdAt: r.createdAt.toISOString(),
    };
  });
  return { status: 200, body: { credentials }, audit: { username: user.username, userId: user.id, count: credentials.length } };
};

const setEnabled =
  (enabled: boolean): Handler =>
  async (deps, { params, body, ctx }) => {
    onlyKnown(body, []);
    const record = await requireCredential(deps, params[0]!);
    await deps.sam.setEnabled({ ctx, credentialID: record.credentialID, enabled });
    return { status: 200, body: { credentialID: record.credentialID, enabled }, audit: { credentialID: record.credentialID, ownerId: record.ownerId } };
  };

export const disableCredential = setEnabled(false);
export const enableCredential = setEnabled(true);

/** Clears the factor-failure lockout (DESIGN §2.1): after the operator has checked who was guessing. */
export const unlockCredential: Handler = async (deps, { params, body, ctx }) => {
  onlyKnown(body, []);
  const record = await requireCredential(deps, params[0]!);
  await deps.sam.unlock({ ctx, credentialID: record.credentialID });
  return { status: 200, body: { credentialID: record.credentialID, locked: false }, audit: { credentialID: record.credentialID, ownerId: record.ownerId } };
};

export const credentialCsr: Handler = async (deps, { params, body, ctx }) => {
  onlyKnown(body, []);
  const record = await requireCredential(deps, params[0]!);
  const { csr } = await deps.credentials.csr(ctx, record.credentialID);
  return { status: 200, body: { csr: toPem('CERTIFICATE REQUEST', csr) }, audit: { credentialID: record.credentialID, ownerId: record.ownerId } };
};

export const importCertificates: Handler = async (deps, { params, body, ctx }) => {
  onlyKnown(body, ['chain']);
  const certificates = certificatesFromPem(requiredString(body, 'chain'));
  const record = await requireCredential(deps, params[0]!);
  await deps.credentials.importChain(ctx, record.credentialID, certificates);
  return {
    status: 200,
    body: { credentialID: record.credentialID, certificates: certificates.length },
    audit: { credentialID: record.credentialID, ownerId: record.ownerId, certificates: certificates.length },
  };
};

export const caCertificate: Handler = async (deps) => {
  const der = await deps.sam.caCertificate();
  return { status: 200, body: { certificate: toPem('CERTIFICATE', der) }, audit: {} };
};
