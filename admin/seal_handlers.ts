// Admin routes of e-seals (CSC v2 §8.5): credentials owned by an organisation, which is an OAuth client marked as
// seal owner (client:create --seal-owner true). The client registry says who is a seal owner; rssp creates the record
// and the SAM the key, as for a person's credential.
//
// Decision: the factors of a seal are handed to the operator once, at creation (the PIN they typed, the TOTP seed
// of seal:otp), in every environment. A seal has no person to hold them under sole control: the organisation's
// sealing system holds them (ETSI TS 119 431-1 speaks of the legal person's control), and the operator who
// configures that system is the organisation's. Neither is stored in clear.
import { CscError } from '../core/errors.ts';
import { organisationOwnerId } from '../core/owner.ts';
import { ALGOS, PIN_PATTERN, type AdminDeps, type Handler } from './handlers.ts';
import { matching, onlyKnown, oneOf, optionalInt, optionalString, requiredString } from './params.ts';

/** The organisation's client id, refused unless it is a registered seal owner. */
async function sealOwner(deps: AdminDeps, clientId: string): Promise<string> {
  if (!deps.clients) throw new CscError('adminRouteNotFound');
  if (!(await deps.clients.isSealOwner(clientId))) {
    throw new CscError('invalidRequest', { description: 'Unknown client_id, or the client is not a seal owner (client:create --seal-owner true)' });
  }
  return clientId;
}

export const createSeal: Handler = async (deps, { params, body, ctx }) => {
  onlyKnown(body, ['organization', 'commonName', 'algo', 'rsaBits', 'pin', 'scal', 'multisign', 'description']);
  const clientId = await sealOwner(deps, params[0]!);
  const organization = requiredString(body, 'organization');
  const commonName = optionalString(body, 'commonName', 64);
  const algo = oneOf(body, 'algo', ALGOS, true)!;
  const rsaBits = oneOf(body, 'rsaBits', [2048, 3072] as const, false);
  const pin = matching(body, 'pin', PIN_PATTERN, '4 to 16 digits');
  const scal = oneOf(body, 'scal', ['1', '2'] as const, false);
  // The SAM caps a batch at SEAL_BATCH_MAX_SIGNATURES as well.
  const multisign = optionalInt(body, 'multisign', 1, 1_000_000);
  const description = optionalString(body, 'description', 255);
  if ([...organization.trim()].length < 1 || [...organization.trim()].length > 64) {
    throw new CscError('invalidRequest', { description: 'Invalid parameter organization: 1 to 64 characters' });
  }
  const { credentialID, ownerId } = await deps.credentials.createSeal(ctx, { clientId, organization, commonName, algo, rsaBits, pin, scal, multisign, description });
  return { status: 201, body: { credentialID, ownerId }, audit: { clientId, ownerId, credentialID, algo, scal: scal ?? '2', multisign } };
};

/** The TOTP seed of the organisation, the second factor of its SCAL 2 seals; replaces an earlier one. */
export const enrollSealOtp: Handler = async (deps, { params, body, ctx }) => {
  onlyKnown(body, []);
  const clientId = await sealOwner(deps, params[0]!);
  const ownerId = organisationOwnerId(clientId);
  const { secret, otpauthUri } = await deps.sam.enrollOtp({ ctx, userId: ownerId, accountName: `seal-${clientId}` });
  return { status: 201, body: { secret, otpauthUri }, audit: { clientId, ownerId } };
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
