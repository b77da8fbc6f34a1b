// The FAPI 2.0 Security Profile (OpenID Foundation, final) at the authorization server, for the clients registered
// with it (`fapi_profile` "2.0" in the client record, clients.ts) or for every client (OAUTH_REQUIRE_FAPI2). What it
// asks of the server, and where each is met:
// - pushed authorization requests only (FAPI 2.0 §5.3.2.2, RFC 9126 §5): require_pushed_authorization_requests on
//   the client, which oidc-provider enforces at oauth2/authorize;
// - sender-constrained access tokens (§5.3.2.1): DPoP (RFC 9449), dpop_bound_access_tokens on the client, so every
//   grant at oauth2/token needs a DPoP proof. mTLS-bound tokens are not offered: TLS ends at the reverse proxy;
// - client authentication by private_key_jwt (§5.3.2.1, RFC 7523) with aud = the issuer (oidc-provider's fapi
//   profile "2.0"), the assertion signed with PS256, ES256 or EdDSA (§5.4.1; fapiClientAssertionCheck); a FAPI
//   client is registered with it, and with OAUTH_REQUIRE_FAPI2 any other method is refused here before
//   oidc-provider sees the request (fapiClientAuthRefusal);
// - PKCE S256, response type code, the iss response parameter, codes of 60 s: what every client gets already
//   (provider.ts).
import { errors, type Configuration } from 'oidc-provider';

/** The extra client metadata that marks a FAPI 2.0 client, and its only value. */
export const FAPI_METADATA = 'fapi_profile';
export const FAPI_2_0 = '2.0';

/** RFC 7523 §2.2 client assertion type: the only client authentication a FAPI 2.0 client may use here. */
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** FAPI 2.0 §5.4.1: PS256, ES256 or EdDSA with Ed25519, for DPoP proofs and client assertions alike. */
export const FAPI_ALGS = ['ES256', 'PS256', 'EdDSA', 'Ed25519'] as const;

/**
 * oidc-provider's extraClientMetadata: `fapi_profile` is read from the stored client (or set for all under
 * OAUTH_REQUIRE_FAPI2), and a FAPI client gets the two standard properties that make oidc-provider enforce PAR and
 * DPoP for it. Runs each time a client record is loaded, so the rule holds for clients registered before it.
 */
export function fapiClientMetadata(requireAll: boolean): NonNullable<Configuration['extraClientMetadata']> {
  return {
    properties: [FAPI_METADATA],
    validator(_ctx, key, value, metadata) {
      if (key !== FAPI_METADATA) return;
      if (value !== undefined && value !== FAPI_2_0) throw new errors.InvalidClientMetadata(`${FAPI_METADATA} must be "${FAPI_2_0}"`);
      const m = metadata as Record<string, unknown>;
      if (requireAll) m[FAPI_METADATA] = FAPI_2_0;
      if (m[FAPI_METADATA] !== FAPI_2_0) return;
      m.require_pushed_authorization_requests = true;
      m.dpop_bound_access_tokens = true;
    },
  };
}

/** Whether a loaded client is a FAPI client. oidc-provider keeps extra client metadata under its own (snake_case)
 *  name on the Client; only the standard properties are camelCased. */
export function isFapiClient(client: unknown, requireAll: boolean): boolean {
  return requireAll || (client as Record<string, unknown> | undefined)?.[FAPI_METADATA] === FAPI_2_0;
}

/** features.fapi.profile: "2.0" for a FAPI client (oidc-provider then applies its FAPI 2.0 checks). */
export function fapiProfile(requireAll: boolean) {
  return (_ctx: unknown, client?: unknown) => (isFapiClient(client, requireAll) ? FAPI_2_0 : undefined);
}

/**
 * oidc-provider's assertJwtClientAuthClaimsAndHeader, run on every private_key_jwt assertion after its signature
 * checked out. For a FAPI client: aud must be the issuer (what oidc-provider's own default checks), and the JWS
 * algorithm one of FAPI 2.0 §5.4.1 — enabledJWA.clientAuthSigningAlgValues keeps RS256 for the other clients, so
 * without this an RS256 assertion of a FAPI client would pass. Refused as RFC 6749 §5.2 invalid_client. The client
 * is asked directly, not ctx.oidc.isFapi(): that answer is computed once per request, possibly (at PAR) before the
 * client was known.
 */
export function fapiClientAssertionCheck(requireAll: boolean): NonNullable<Configuration['assertJwtClientAuthClaimsAndHeader']> {
  return (ctx, claims, header, client) => {
    if (!isFapiClient(client, requireAll)) return;
    if (claims.aud !== ctx.oidc.issuer) throw new errors.InvalidClientAuth('audience (aud) must equal the issuer identifier url');
    if (!(FAPI_ALGS as readonly string[]).includes(String(header.alg))) {
      throw new errors.InvalidClientAuth(`a FAPI 2.0 client assertion must be signed with ${FAPI_ALGS.join(', ')}`);
    }
  };
}

/**
 * OAUTH_REQUIRE_FAPI2 at oauth2/pushed_authorize and oauth2/token: a request that authenticates its client by
 * anything but a private_key_jwt assertion (a Basic header, client_secret, or nothing) is refused with RFC 6749 §5.2
 * invalid_client, before the client is looked at. Returns the refusal, or null to go on.
 */
export function fapiClientAuthRefusal(form: URLSearchParams, authorization: string | undefined): { status: number; error: string; description: string } | null {
  const jwt = form.get('client_assertion_type') === JWT_BEARER && !!form.get('client_assertion');
  if (jwt && !authorization && !form.has('client_secret')) return null;
  return { status: 401, error: 'invalid_client', description: 'FAPI 2.0 requires private_key_jwt client authentication' };
}
