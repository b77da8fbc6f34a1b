// OAuth clients (signature applications) registered by the operator (issue #3 item 8). Stored as oidc-provider
// Client records in PostgreSQL, so the provider reads them through its adapter. A client authenticates at the token
// endpoint with a secret (client_secret_basic / client_secret_post) or a JWT signed with a key of its JWKS
// (private_key_jwt, RFC 7523), given inline (`jwks`) or published at an https URL (`jwks_uri`, RFC 7591 §2). A client
// registered with `fapi` is held to the FAPI 2.0 Security Profile (fapi.ts): private_key_jwt, PAR and DPoP.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../core/db.ts';
import { CscError } from '../../core/errors.ts';
import { FAPI_2_0, FAPI_METADATA } from './fapi.ts';

const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** `sealOwner`: the client is an organisation that owns e-seal credentials and may use the client credentials grant
 *  (CSC v2 §8.5.2.2); without redirect URIs it can do nothing else. */
export type NewClient = {
  name: string;
  redirectUris: string[];
  authMethod?: ClientAuthMethod;
  jwks?: unknown;
  /** Where the client publishes its JWKS (private_key_jwt), instead of `jwks`. */
  jwksUri?: string;
  sealOwner?: boolean;
  /** FAPI 2.0 client: private_key_jwt (the default then), pushed requests only, DPoP-bound tokens. */
  fapi?: boolean;
};
export type ClientView = {
  client_id: string;
  client_name: string;
  redirect_uris: string[];
  token_endpoint_auth_method: string;
  seal_owner: boolean;
  /** Held to FAPI 2.0: registered so, or every client under OAUTH_REQUIRE_FAPI2. */
  fapi: boolean;
  created_at: string;
};

/** The grant that only seal owners may use (authz/oauth/seal_owner.ts). */
export const CLIENT_CREDENTIALS = 'client_credentials';

/** Only a hash of each client secret is stored, so a copy of the table authenticates nobody. The secrets are 256
 *  random bits, so a fast hash is enough (no dictionary to slow down). */
const hashClientSecret = (secret: string): string => `sha256:${createHash('sha256').update(secret, 'utf8').digest('base64url')}`;

export function clientSecretMatches(stored: unknown, given: unknown): boolean {
  if (typeof stored !== 'string' || typeof given !== 'string' || given.length > 512) return false;
  const a = Buffer.from(stored);
  const b = Buffer.from(hashClientSecret(given));
  return a.length === b.length && timingSafeEqual(a, b);
}

const invalid = (description: string) => new CscError('invalidRequest', { description });

/** RFC 6749 §3.1.2: absolute, no fragment; https, or http only on a loopback host (native and test apps). */
function checkRedirectUri(uri: string, production: boolean): void {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw invalid(`Invalid redirect URI: ${uri.slice(0, 200)}`);
  }
  if (u.hash || uri.includes('#')) throw invalid('A redirect URI must not contain a fragment');
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  if (u.protocol === 'https:') return;
  if (u.protocol === 'http:' && (loopback || !production)) return;
  throw invalid('A redirect URI must use https (http only for a loopback host)');
}

/** Where a private_key_jwt client publishes its keys: https (http on a loopback host outside production, for tests). */
function checkJwksUri(uri: unknown, production: boolean): void {
  if (typeof uri !== 'string' || uri.length > 2000) throw invalid('jwksUri must be a URL');
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw invalid(`Invalid JWKS URI: ${uri.slice(0, 200)}`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  if (u.hash) throw invalid('A JWKS URI must not contain a fragment');
  if (u.protocol === 'https:' || (u.protocol === 'http:' && loopback && !production)) return;
  throw invalid('A JWKS URI must use https');
}

export class ClientRegistry {
  constructor(
    private readonly db: Db,
    private readonly production = false,
    /** OAUTH_REQUIRE_FAPI2: only private_key_jwt clients can be registered (fapi.ts). */
    private readonly requireFapi2 = false,
  ) {}

  async create(c: NewClient): Promise<{ client_id: string; client_secret?: string }> {
    if (typeof c.name !== 'string' || !/^[^\p{Cc}]{1,100}$/u.test(c.name)) throw invalid('name must be 1 to 100 printable characters');
    if (c.sealOwner !== undefined && typeof c.sealOwner !== 'boolean') throw invalid('sealOwner must be true or false');
    const sealOwner = c.sealOwner === true;
    // A seal owner that only seals needs no redirect URI: it never sends anyone to the authorization endpoint.
    const noRedirects = sealOwner && Array.isArray(c.redirectUris) && c.redirectUris.length === 0;
    if (!Array.isArray(c.redirectUris) || (!noRedirects && c.redirectUris.length === 0) || c.redirectUris.length > 20) {
      throw invalid(sealOwner ? '0 to 20 redirect URIs are required' : '1 to 20 redirect URIs are required');
    }
    for (const uri of c.redirectUris) checkRedirectUri(uri, this.production);
    if (c.fapi !== undefined && typeof c.fapi !== 'boolean') throw invalid('fapi must be true or false');
    const fapi = c.fapi === true || this.requireFapi2;
    const authMethod = c.authMethod ?? (fapi ? 'private_key_jwt' : 'client_secret_basic');
    if (!CLIENT_AUTH_METHODS.includes(authMethod)) throw invalid(`auth must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
    // FAPI 2.0 §5.3.2.1: the client authenticates with private_key_jwt (or mTLS, not offered here).
    if (fapi && authMethod !== 'private_key_jwt') throw invalid('a FAPI 2.0 client must use private_key_jwt');
    const jwks = c.jwks as { keys?: unknown[] } | undefined;
    if (authMethod === 'private_key_jwt') {
      if (jwks !== undefined && c.jwksUri !== undefined) throw invalid('give a JWKS or a JWKS URI, not both');
      if (c.jwksUri !== undefined) checkJwksUri(c.jwksUri, this.production);
      else {
        if (!jwks || !Array.isArray(jwks.keys) || jwks.keys.length === 0) throw invalid('private_key_jwt needs a JWKS with at least one public key');
        for (const k of jwks.keys as Record<string, unknown>[]) {
          if (typeof k !== 'object' || !k || typeof k.kty !== 'string') throw invalid('the JWKS holds an invalid key');
          if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((f) => f in k)) throw invalid('the JWKS must hold public keys only');
        }
      }
    } else if (jwks !== undefined || c.jwksUri !== undefined) {
      throw invalid('a JWKS is only used with private_key_jwt');
    }
    const clientId = randomUUID();
    const secret = authMethod === 'private_key_jwt' ? undefined : randomBytes(32).toString('base64url');
    const payload = {
      client_id: clientId,
      client_name: c.name,
      redirect_uris: c.redirectUris,
      grant_types: [...(noRedirects ? [] : ['authorization_code', 'refresh_token']), ...(sealOwner ? [CLIENT_CREDENTIALS] : [])],
      response_types: noRedirects ? [] : ['code'],
      // A seal-only client asks for nothing but the service scope (CSC v2 §8.5.2.2); its seals are authorized by
      // credentials/authorize, never by a credential-scoped token.
      ...(noRedirects ? { scope: 'service' } : {}),
      token_endpoint_auth_method: authMethod,
      ...(secret ? { client_secret: hashClientSecret(secret) } : {}),
      ...(jwks ? { jwks: { keys: jwks.keys } } : {}),
      ...(c.jwksUri !== undefined ? { jwks_uri: c.jwksUri } : {}),
      // Also set on loading the record (fapi.ts), so that the flags cannot drift from the mark.
      ...(fapi ? { [FAPI_METADATA]: FAPI_2_0, require_pushed_authorization_requests: true, dpop_bound_access_tokens: true } : {}),
    };
    await this.db.query("INSERT INTO authz.oauth_models (model, id, payload) VALUES ('Client', $1, $2)", [clientId, JSON.stringify(payload)]);
    return secret ? { client_id: clientId, client_secret: secret } : { client_id: clientId };
  }

  async list(): Promise<ClientView[]> {
    const { rows } = await this.db.query<{ payload: Record<string, unknown>; created_at: Date }>(
      "SELECT payload, created_at FROM authz.oauth_models WHERE model = 'Client' ORDER BY created_at, id",
    );
    return rows.map((r) => ({
      client_id: String(r.payload.client_id),
      client_name: String(r.payload.client_name),
      redirect_uris: r.payload.redirect_uris as string[],
      token_endpoint_auth_method: String(r.payload.token_endpoint_auth_method),
      seal_owner: isSealOwnerPayload(r.payload),
      fapi: this.requireFapi2 || r.payload[FAPI_METADATA] === FAPI_2_0,
      created_at: r.created_at.toISOString(),
    }));
  }

  /** True when `clientId` is a registered client marked as seal owner. */
  async isSealOwner(clientId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ payload: Record<string, unknown> }>(
      "SELECT payload FROM authz.oauth_models WHERE model = 'Client' AND id = $1",
      [clientId],
    );
    return rows.length === 1 && isSealOwnerPayload(rows[0]!.payload);
  }

  /** Deletes the client and every grant, code and token issued to it. */
  async delete(clientId: string): Promise<void> {
    const { rowCount } = await this.db.query("DELETE FROM authz.oauth_models WHERE model = 'Client' AND id = $1", [clientId]);
    if (!rowCount) throw new CscError('invalidRequest', { description: 'Unknown client_id' });
    await this.db.query("DELETE FROM authz.oauth_models WHERE payload->>'clientId' = $1", [clientId]);
    await this.db.query('DELETE FROM authz.oauth_credential_grants WHERE client_id = $1', [clientId]);
    await this.db.query('DELETE FROM authz.oauth_management_grants WHERE client_id = $1', [clientId]);
  }
}

/** The operator's mark of a seal owner is the client credentials grant in the client's grant types: oidc-provider
 *  refuses the grant to every other client (invalid_request, "requested grant type is not allowed for this client"). */
function isSealOwnerPayload(payload: Record<string, unknown>): boolean {
  return Array.isArray(payload.grant_types) && payload.grant_types.includes(CLIENT_CREDENTIALS);
}
