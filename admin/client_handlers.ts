// Admin routes of the OAuth clients (issue #3 item 8): the signature applications allowed to use the
// authorization server. The registry (authz/oauth/clients.ts) validates; these handlers only read the request.
import { CscError } from '../core/errors.ts';
import type { Handler } from './handlers.ts';
import { onlyKnown, requiredString } from './params.ts';

function registry(deps: Parameters<Handler>[0]) {
  if (!deps.clients) throw new CscError('adminRouteNotFound');
  return deps.clients;
}

export const createClient: Handler = async (deps, { body }) => {
  onlyKnown(body, ['name', 'redirectUris', 'auth', 'jwks', 'jwksUri', 'sealOwner', 'fapi']);
  const name = requiredString(body, 'name');
  // A seal owner (CSC v2 §8.5.2.2) may use the client credentials grant; one that only seals needs no redirect URI.
  const redirectUris = body.redirectUris ?? (body.sealOwner === true ? [] : undefined);
  if (!Array.isArray(redirectUris) || !redirectUris.every((u) => typeof u === 'string')) {
    throw new CscError('invalidRequest', { description: 'redirectUris must be an array of strings' });
  }
  const auth = body.auth === undefined ? undefined : String(body.auth);
  const created = await registry(deps).create({
    name,
    redirectUris,
    authMethod: auth as Parameters<NonNullable<Parameters<Handler>[0]['clients']>['create']>[0]['authMethod'],
    jwks: body.jwks,
    jwksUri: body.jwksUri as string | undefined,
    sealOwner: body.sealOwner as boolean | undefined,
    fapi: body.fapi as boolean | undefined,
  });
  // The secret is shown once, here; the audit row names the client only.
  return { status: 201, body: created, audit: { clientId: created.client_id, name, auth: auth ?? (body.fapi === true ? 'private_key_jwt' : 'client_secret_basic'), sealOwner: body.sealOwner === true, fapi: body.fapi === true } };
};

export const listClients: Handler = async (deps) => {
  const clients = await registry(deps).list();
  return { status: 200, body: clients, audit: { count: clients.length } };
};

export const deleteClient: Handler = async (deps, { params }) => {
  await registry(deps).delete(params[0]!);
  return { status: 200, body: { deleted: params[0] }, audit: { clientId: params[0] } };
};

/** Puts a new signing key (and cookie key) of the authorization server in front; the previous one stays valid. */
export const rotateOAuthKeys: Handler = async (deps) => {
  if (!deps.oauthKeys) throw new CscError('adminRouteNotFound');
  const { kid } = await deps.oauthKeys.rotate();
  return { status: 200, body: { kid, note: 'active from the next start of each instance' }, audit: { kid } };
};
