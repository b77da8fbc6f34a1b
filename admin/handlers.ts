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
  credentials: Pick<CredentialService, 'create' | 'createSeal' | 'get' | 'listByOwner' | 'importChain' | 'csr'>;
  /** OAuth clients of the authorization server (authz/oauth/clients.ts); absent, the client and seal routes answer 404. */
  clients?: Pick<ClientRegistry, 'create' | 'list' | 'delete' | 'isSealOwner'>;
  /** Rotation of the authorization server's keys (authz/oauth/keys.ts). */
  oauthKeys?: { rotate(): Promise<{ kid: string }> };
  /** The audit trail: every admin action is recorded in it, and exported from it. */
  audit: AuditTrail;
  /** The development outbox of out-of-band messages (outbox:show). */
  outbox?: OutboxReader;
  /** NODE_ENV=production: the routes that would give the operator a user's factor (a PIN they choose, a TOTP seed)
   *  are refused, and activation links are the only way to set them (issue #14 finding 1). */
  production?: boolean;
  /** The service's external URL, for the activation links (PUBLIC_URL). */
  publicUrl?: string;
};

/** Where activation links point (authz/pages/activation.ts). */
const ACTIVATION_PATH = '/activate/';

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
  if (deps.production) {
    throw new CscError('factorsByAdminRefused', {
      description:
        'In production the admin API does not hand out TOTP seeds (sole control): issue an activation link, on which the user enrols their own authenticator (POST /admin/users/{username}/activation, activation:issue)',
    });
  }
  const user = await userNamed(deps, params[0]!);
  // Re-enrolling replaces the seed: the operator hands the new secret to the user, the old app stops working.
  const { secret, otpauthUri } = await deps.sam.enrollOtp({ ctx, userId: user.id, accountName: user.username });
  return { status: 201, body: { secret, otpauthUri }, audit: { username: user.username, userId: user.id } };
};

export const createCredential: Handler = async (deps, { params, body, ctx }) => {
  onlyKnown(body, ['algo', 'rsaBits', 'pin', 'activation', 'multisign', 'scal', 'authMode', 'description', 'otp', 'approval']);
  if (deps.production && body.pin !== undefined) {
    throw new CscError('factorsByAdminRefused', {
      description:
        'In production the admin API does not set PINs (sole control): create the credential without one and issue an activation link, on which the user chooses it (POST /admin/users/{username}/activation, activation:issue)',
    });
  }
  // activation: true — no PIN now; the owner chooses it through an activation link. Always so in production.
  if (body.activation !== undefined && body.activation !== true && body.activation !== false) {
    throw new CscError('invalidRequest', { description: 'Invalid parameter activation: true or false' });
  }
  const byActivation = body.activation === true || deps.production === true;
  if (byActivation && body.pin !== undefined) throw new CscError('invalidRequest', { description: 'Invalid parameter pin: not with activation' });
  const user = await userNamed(deps, params[0]!);
  const algo = oneOf(body, 'algo', ALGOS, true)!;
  const rsaBits = oneOf(body, 'rsaBits', [2048, 3072] as const, false);
  if (rsaBits !== undefined && algo.startsWith('ES')) {
    throw new CscError('invalidRequest', { description: 'Invalid parameter rsaBits: only for RS256, RS384 and PS256' });
  }
  const pin = byActivation ? undefined : matching(body, 'pin', PIN_PATTERN, '4 to 16 digits');
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
    audit: { username: user.username, userId: user.id, credentialID, algo, rsaBits, multisign, scal, authMode, otpChannel, approval, pinBy: byActivation ? 'activation' : 'admin' },
  };
};

/**
 * Issue #14 finding 1: a single-use activation link on which the user chooses the PIN of the covered credentials and
 * enrols their own authenticator. The SAM makes the secret and sends it to the user's registered address; this
 * answer says only where it went and until when it is valid, so the operator never holds it.
 */
export const issueActivation: Handler = async (deps, { params, body, ctx }) => {
  onlyKnown(body, ['credentialIDs']);
  const user = await userNamed(deps, params[0]!);
  const sent = await sendActivation(deps, ctx, {
    ownerId: user.id,
    given: body.credentialIDs,
    accountName: user.username,
    recipient: { username: user.username, email: user.email, phone: user.phone },
    nothing: 'The user has no credential to activate; create one first',
  });
  return { status: 201, body: sent, audit: { username: user.username, userId: user.id, credentialIDs: sent.credentialIDs, channel: sent.sentTo.channel, expiresAt: sent.expiresAt } };
};

/**
 * Has the SAM send the owner a single-use activation link for `given` credential IDs (default: all of the owner's),
 * each checked to be the owner's. Shared by people (activation:issue) and organisations (seal:activation).
 */
export async function sendActivation(
  deps: AdminDeps,
  ctx: RequestContext,
  cmd: {
    ownerId: string;
    given: unknown;
    accountName: string;
    recipient: Parameters<SignatureActivation['issueActivation']>[0]['recipient'];
    /** The refusal when the owner has no credential at all. */
    nothing: string;
  },
): Promise<{ sentTo: { channel: 'email' | 'sms'; to: string }; expiresAt: string; credentialIDs: string[] }> {
  let ids: string[];
  const given = cmd.given;
  if (given === undefined || given === null) {
    ids = (await deps.credentials.listByOwner(cmd.ownerId)).map((r) => r.credentialID);
  } else {
    if (!Array.isArray(given) || given.length < 1 || given.length > 100 || !given.every((v) => typeof v === 'string' && v.length >= 1 && v.length <= 256)) {
      throw new CscError('invalidRequest', { description: 'Invalid parameter credentialIDs: an array of 1 to 100 credential IDs' });
    }
    ids = [...new Set(given as string[])];
    for (const id of ids) {
      const record = await deps.credentials.get(id);
      // Another owner's credential is as unknown as a made-up id.
      if (!record || record.ownerId !== cmd.ownerId) throw new CscError('credentialNotFound');
    }
  }
  if (ids.length === 0) throw new CscError('invalidRequest', { description: cmd.nothing });
  // Fail closed: a link without the service's external address would be relative, useless to the person.
  if (!deps.publicUrl) throw new CscError('serverError', { description: 'PUBLIC_URL is not known to the admin API: no activation link can be made' });
  const base = deps.publicUrl.replace(/\/+$/, '');
  const sent = await deps.sam.issueActivation({
    ctx,
    userId: cmd.ownerId,
    credentialIDs: ids,
    accountName: cmd.accountName,
    recipient: cmd.recipient,
    linkBase: `${base}${ACTIVATION_PATH}`,
  });
  return { sentTo: { channel: sent.channel, to: sent.to }, expiresAt: sent.expiresAt, credentialIDs: ids };
}

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
