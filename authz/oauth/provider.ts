// The OAuth 2.0 authorization server of CSC v2 §8.4 on oidc-provider: authorization code with PKCE (S256 only),
// PAR (RFC 9126), revocation (RFC 7009), metadata (RFC 8414) with the `iss` response parameter (RFC 9207), and the
// CSC scopes "service" and "credential". Every option that departs from oidc-provider's default says why.
//
// RAR (RFC 9396) is handled here rather than with oidc-provider's richAuthorizationRequests feature: that feature
// requires resource indicators, which would make every access token an audience-bound resource-server token,
// while ours stands for a SAD checked by the SAM. `authorization_details` is therefore an extra parameter, checked
// by credential_request.ts at oauth2/authorize and PAR, and echoed by the token endpoint (token_response.ts).
import { hkdfSync } from 'node:crypto';
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { AuthzConfig } from '../../core/config.ts';
import type { Db } from '../../core/db.ts';
import type { Kv } from '../../core/kv.ts';
import type { UserDirectory } from '../../core/ports.ts';
import { adapterFactory } from './adapters.ts';
import { clientSecretMatches } from './clients.ts';
import { ALL_RAR_TYPES, CredentialRequestError, EXTRA_PARAMS, parseScope, RAR_PARAM, type ScopeOptions } from './credential_request.ts';
import { FAPI_ALGS, fapiClientAssertionCheck, fapiClientMetadata, fapiProfile } from './fapi.ts';
import type { AsKeys } from './keys.ts';

/** Paths of CSC v2 §8.4 under the issuer (= PUBLIC_URL), so `info.oauth2` is PUBLIC_URL + "/". */
const OAUTH_ROUTES = {
  authorization: '/oauth2/authorize',
  token: '/oauth2/token',
  revocation: '/oauth2/revoke',
  pushed_authorization_request: '/oauth2/pushed_authorize',
  jwks: '/oauth2/jwks',
  // Unused endpoints are disabled below; their paths stay under /oauth2 so nothing else of the server is claimed.
  userinfo: '/oauth2/userinfo',
  end_session: '/oauth2/logout',
  introspection: '/oauth2/introspect',
  registration: '/oauth2/register',
  device_authorization: '/oauth2/device/auth',
  code_verification: '/oauth2/device',
  backchannel_authentication: '/oauth2/backchannel',
  challenge: '/oauth2/challenge',
  credential: '/oauth2/credential',
} as const;

export const INTERACTION_PREFIX = '/oauth2/interaction/';

/** Whether the current authorization call asks for more than a service token: a signature (scope credential) or a
 *  CSC v2.2 credential creation or deletion. Such a call always shows its page. False when the request is malformed
 *  (then the extra-parameter check refuses it before any prompt is looked at). */
function credentialKind(ctx: KoaContextWithOIDC, scopeOptions: ScopeOptions): boolean {
  try {
    return parseScope(ctx.oidc.params as Record<string, unknown>, scopeOptions).kind !== 'service';
  } catch {
    return false;
  }
}

function toOAuthError(err: CredentialRequestError): Error {
  if (err.error === 'invalid_scope') return new errors.InvalidScope(err.description, '');
  if (err.error === 'invalid_authorization_details') return new errors.InvalidAuthorizationDetails(err.description);
  return new errors.InvalidRequest(err.description);
}

/** RFC 9449 §8 server nonces: oidc-provider derives each minute's nonce from a 32-byte secret, which must be the
 *  same on every instance; it is derived here from the current cookie key (shared through authz.oauth_keys), under a
 *  label of its own so that the two uses never meet. Every proof at the token and PAR endpoints must carry one. */
function dpopNonces(cookieKey: string) {
  return {
    nonceSecret: Buffer.from(hkdfSync('sha256', cookieKey, Buffer.alloc(0), 'csc-rssp dpop nonce', 32)),
    requireNonce: () => true,
  };
}

export function createProvider(deps: {
  db: Db;
  kv: Kv;
  config: AuthzConfig;
  users: UserDirectory;
  keys: AsKeys;
}): Provider {
  const { config } = deps;
  const scopeOptions: ScopeOptions = { certificatePolicies: config.authz.certificatePolicies };
  const policy = interactionPolicy.base();
  // A credential authorization always asks for the factors, even when the client already holds a grant for this
  // person: each one mints its own SAD (DESIGN §2.2). The grant created by the signature page is the only one
  // that can satisfy it (loadExistingGrant below).
  policy.get('consent')!.checks.add(
    new interactionPolicy.Check('csc_credential', 'signature authorization requires PIN and one-time password', 'consent_required', (ctx) =>
      credentialKind(ctx, scopeOptions) && !ctx.oidc.result?.consent ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT,
    ),
  );

  const extraParams: Record<string, ((ctx: KoaContextWithOIDC, value: string | undefined) => void) | null> = Object.fromEntries(
    EXTRA_PARAMS.map((p) => [p, null]),
  );
  // One validator sees the whole request (CSC v2 §8.4.2): kinds, mixing, formats. Runs at oauth2/authorize (also
  // for a request_uri, on the pushed parameters) and at oauth2/pushed_authorize.
  extraParams[RAR_PARAM] = (ctx) => {
    try {
      parseScope(ctx.oidc.params as Record<string, unknown>, scopeOptions);
    } catch (err) {
      if (err instanceof CredentialRequestError) throw toOAuthError(err);
      throw err;
    }
  };

  const configuration: Configuration = {
    adapter: adapterFactory(deps.db, deps.kv) as unknown as Configuration['adapter'],
    jwks: deps.keys.jwks as Configuration['jwks'],
    cookies: {
      keys: deps.keys.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
      names: { session: 'rssp_session', interaction: 'rssp_interaction', resume: 'rssp_resume' },
    },
    routes: OAUTH_ROUTES,
    scopes: ['service', 'credential'],
    claims: { openid: ['sub'] },
    responseTypes: ['code'],
    extraParams: extraParams as Configuration['extraParams'],
    // CSC v2 §8.4.2 code_challenge is REQUIRED; oidc-provider 9 accepts S256 only, so "plain" is refused too.
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    // FAPI 2.0 clients (fapi.ts): the clients registered with it, or every client under OAUTH_REQUIRE_FAPI2.
    extraClientMetadata: fapiClientMetadata(config.authz.requireFapi2),
    enabledJWA: {
      // FAPI 2.0 §5.4.1 for DPoP proofs; RS256 stays for client assertions of clients that are not FAPI clients.
      dPoPSigningAlgValues: [...FAPI_ALGS],
      clientAuthSigningAlgValues: ['RS256', ...FAPI_ALGS],
    },
    // A FAPI client's assertion: aud = issuer and a FAPI 2.0 algorithm, not RS256 (fapi.ts).
    assertJwtClientAuthClaimsAndHeader: fapiClientAssertionCheck(config.authz.requireFapi2),
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      // The server's only signing key is ES256 (keys.ts); no ID token is issued, but the metadata must agree.
      id_token_signed_response_alg: 'ES256',
    },
    // A redirect_uri must always be sent and match a registered one exactly (CSC v2 §8.4.2 redirect_uri).
    allowOmittingSingleRegisteredRedirectUri: false,
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: config.authz.requirePar || config.authz.requireFapi2 },
      // RFC 9449 at oauth2/token (and oauth2/pushed_authorize, where a proof binds the code to the key): a token
      // request with a DPoP proof gets a DPoP-bound access token (token_type DPoP, the key's thumbprint kept as
      // its jkt), which the CSC API accepts only with a proof of its own (rssp/http/steps/dpop.ts). The proof's iat
      // window and its jti, remembered in PostgreSQL (ReplayDetection, adapters.ts), stand against replays; with
      // OAUTH_DPOP_NONCE server nonces (RFC 9449 §8) are required too (dpopNonces). Required for FAPI clients (fapi.ts).
      dPoP: { enabled: true, ...(config.authz.dpopNonce ? dpopNonces(deps.keys.cookieKeys[0]!) : {}) },
      fapi: { enabled: true, profile: fapiProfile(config.authz.requireFapi2) as never },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      introspection: { enabled: false },
      claimsParameter: { enabled: false },
      // CSC v2 §8.5.2.2: an organisation (a client marked as seal owner, clients.ts) gets a service token for itself.
      clientCredentials: { enabled: true },
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `${INTERACTION_PREFIX}${interaction.uid}`,
    },
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? (credentialKind(ctx, scopeOptions) ? undefined : ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId));
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    async findAccount(_ctx, sub) {
      const user = await deps.users.byId(sub);
      return user ? { accountId: user.id, claims: async () => ({ sub: user.id }) } : undefined;
    },
    // Tokens outlive the browser session at the authorization server: a signature application keeps working after
    // the person signs in again or the session cookie is renewed (by default oidc-provider ties them together).
    expiresWithSession: async () => false,
    // CSC v2 §8.4.4 refresh_token: for scope service only; a credential token never comes with one (DESIGN §8).
    async issueRefreshToken(_ctx, client, code) {
      return client.grantTypeAllowed('refresh_token') && code.scopes.has('service') && !code.scopes.has('credential');
    },
    ttl: {
      AccessToken: (_ctx, token) =>
        String(token.scope ?? '').split(' ').includes('credential')
          ? config.authz.credentialTokenLifetimeSeconds
          : config.authz.serviceTokenLifetimeSeconds,
      // The organisation's service token (CSC v2 §8.5.2.2) lives as long as a person's.
      ClientCredentials: config.authz.serviceTokenLifetimeSeconds,
      AuthorizationCode: 60,
      PushedAuthorizationRequest: 60,
      Interaction: 10 * 60,
      Session: 8 * 3600,
      Grant: config.authz.refreshTokenLifetimeSeconds,
      RefreshToken: config.authz.refreshTokenLifetimeSeconds,
      IdToken: 3600,
    },
    discovery: {
      // RFC 8414 extras for CSC clients: where the CSC API is, and the RAR types of CSC v2.0 and v2.2 (signing, and
      // v2.2's credential creation and deletion).
      authorization_details_types_supported: [...ALL_RAR_TYPES],
      scopes_supported: ['service', 'credential'],
      csc_api_base_uri: `${config.publicUrl}/csc/v2`,
      service_documentation: `${config.publicUrl}/csc/v2/openapi.yaml`,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><main><h1>Something went wrong</h1><p role="alert">${esc(out.error)}: ${esc(out.error_description)}</p></main></body></html>`;
    },
  };

  const provider = new Provider(config.publicUrl, configuration);
  // Client secrets are stored hashed (clients.ts); client_secret_jwt, the one method that would need the secret
  // itself as an HMAC key, is not offered.
  (provider.Client.prototype as unknown as { compareClientSecret(actual: string): boolean }).compareClientSecret = function (
    this: { clientSecret?: string },
    actual: string,
  ) {
    return clientSecretMatches(this.clientSecret, actual);
  };
  // TLS ends at the reverse proxy in production (PUBLIC_URL is https); trust its X-Forwarded-* there only.
  provider.proxy = config.env === 'production';
  return provider;
}
