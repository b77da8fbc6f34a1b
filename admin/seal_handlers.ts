// Admin routes of e-seals (CSC v2 §8.5): credentials owned by an organisation, which is an OAuth client marked as
// seal owner (client:create --seal-owner true). The client registry says who is a seal owner; rssp creates the record
// and the SAM the key, as for a person's credential.
//
// Who holds a seal's factors: the organisation's sealing system (ETSI TS 119 431-1 speaks of the legal person's
// control), set up by someone acting for the organisation. In development the operator may set the PIN at creation
// and receive the TOTP seed (seal:otp). In production the operator does neither, as for a person's credentials
// (issue #14 finding 1): the seal is created without a PIN and the SAM sends an activation link to the address the
// organisation gave (seal:activation), on which its representative chooses the PIN and enrols the authenticator of
// its SCAL 2 seals. Neither factor is ever stored in clear.
import { CscError } from '../core/errors.ts';
import { organisationOwnerId } from '../core/owner.ts';
import { ALGOS, PIN_PATTERN, sendActivation, type AdminDeps, type Handler } from './handlers.ts';
import { matching, onlyKnown, oneOf, optionalInt, optionalString, requiredString } from './params.ts';

const BY_ACTIVATION = 'create the seal without one and send the organisation an activation link (POST /admin/clients/{client_id}/activation, seal:activation)';

/** The organisation's client id, refused unless it is a registered seal owner. */
async function sealOwner(deps: AdminDeps, clientId: string): Promise<string> {
  if (!deps.clients) throw new CscError('adminRouteNotFound');
  if (!(await deps.clients.isSealOwner(clientId))) {
    throw new CscError('invalidRequest', { description: 'Unknown client_id, or the client is not a seal owner (client:create --seal-owner true)' });
  }
  return clientId;
}

export const createSeal: Handler = async (deps, { params, body, ctx }) => {
  onlyKnown(body, ['organization', 'commonName', 'algo', 'rsaBits', 'pin', 'activation', 'scal', 'multisign', 'description']);
  if (deps.production && body.pin !== undefined) {
    throw new CscError('factorsByAdminRefused', { description: `In production the admin API does not set the PIN of a seal (sole control): ${BY_ACTIVATION}` });
  }
  if (body.activation !== undefined && body.activation !== true && body.activation !== false) {
    throw new CscError('invalidRequest', { description: 'Invalid parameter activation: true or false' });
  }
  // activation: true — no PIN now; the organisation chooses it through an activation link. Always so in production.
  const byActivation = body.activation === true || deps.production === true;
  if (byActivation && body.pin !== undefined) throw new CscError('invalidRequest', { description: 'Invalid parameter pin: not with activation' });
  const clientId = await sealOwner(deps, params[0]!);
  const organization = requiredString(body, 'organization');
  const commonName = optionalString(body, 'commonName', 64);
  const algo = oneOf(body, 'algo', ALGOS, true)!;
  const rsaBits = oneOf(body, 'rsaBits', [2048, 3072] as const, false);
  const pin = byActivation ? undefined : matching(body, 'pin', PIN_PATTERN, '4 to 16 digits');
  const scal = oneOf(body, 'scal', ['1', '2'] as const, false);
  // The SAM caps a batch at SEAL_BATCH_MAX_SIGNATURES as well.
  const multisign = optionalInt(body, 'multisign', 1, 1_000_000);
  const description = optionalString(body, 'description', 255);
  if ([...organization.trim()].length < 1 || [...organization.trim()].length > 64) {
    throw new CscError('invalidRequest', { description: 'Invalid parameter organization: 1 to 64 characters' });
  }
  const { credentialID, ownerId } = await deps.credentials.createSeal(ctx, { clientId, organization, commonName, algo, rsaBits, pin, scal, multisign, description });
  return { status: 201, body: { credentialID, ownerId }, audit: { clientId, ownerId, credentialID, algo, scal: scal ?? '2', multisign, pinBy: byActivation ? 'activation' : 'admin' } };
};

/** The TOTP seed of the organisation, the second factor of its SCAL 2 seals; replaces an earlier one. */
export const enrollSealOtp: Handler = async (deps, { params, body, ctx }) => {
  onlyKnown(body, []);
  if (deps.production) {
    throw new CscError('factorsByAdminRefused', {
      description: 'In production the admin API does not hand out TOTP seeds (sole control): the organisation enrols its authenticator on an activation link (POST /admin/clients/{client_id}/activation, seal:activation)',
    });
  }
  const clientId = await sealOwner(deps, params[0]!);
  const ownerId = organisationOwnerId(clientId);
  const { secret, otpauthUri } = await deps.sam.enrollOtp({ ctx, userId: ownerId, accountName: `seal-${clientId}` });
  return { status: 201, body: { secret, otpauthUri }, audit: { clientId, ownerId } };
};

/**
 * A single-use activation link for the organisation's seals (default: all of them), sent by the SAM to the address
 * given here: the client registry keeps no contact for an organisation, and the operator learns only where the link
 * went. On it the organisation's representative chooses the PIN and, for SCAL 2 seals, enrols the authenticator.
 */
export const issueSealActivation: Handler = async (deps, { params, body, ctx }) => {
  onlyKnown(body, ['email', 'phone', 'credentialIDs']);
  const clientId = await sealOwner(deps, params[0]!);
  const ownerId = organisationOwnerId(clientId);
  const email = optionalString(body, 'email', 254);
  const phone = optionalString(body, 'phone', 32);
  if (email === undefined && phone === undefined) {
    throw new CscError('invalidRequest', { description: 'An activation link needs the organisation\'s e-mail address or phone number (email, phone)' });
  }
  const sent = await sendActivation(deps, ctx, {
    ownerId,
    given: body.credentialIDs,
    accountName: `seal-${clientId}`,
    recipient: { username: clientId, email, phone },
    nothing: 'The organisation has no seal to activate; create one first',
  });
  return { status: 201, body: sent, audit: { clientId, ownerId, credentialIDs: sent.credentialIDs, channel: sent.sentTo.channel, expiresAt: sent.expiresAt } };
};

export const listSeals: Handler = async (deps, { params }) => {
  const clientId = await sealOwner(deps, params[0]!);
  const ownerId = organisationOwnerId(clientId);
  const records = await deps.credentials.listByOwner(ownerId);
  const states = new Map((records.length ? await deps.sam.state(records.map((r) => r.credentialID)) : []).map((s) => [s.credentialID, s]));
  const seals = records.map((r) => ({
    credentialID: r.credentialID,
    description: r.description,
    keyAlgo: r.keyAlgo,
    scal: r.scal,
    multisign: r.multisign,
    enabled: states.get(r.credentialID)?.enabled ?? false,
    locked: states.get(r.credentialID)?.locked ?? false,
    createdAt: r.createdAt.toISOString(),
  }));
  return { status: 200, body: { seals }, audit: { clientId, ownerId, count: seals.length } };
};
