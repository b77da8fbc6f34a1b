// Credential authorization through OAuth 2.0 (CSC v2 §8.4): the user authorizes in a browser at the service's
// oauth2/authorize page (sign-in, then PIN + OTP there — the client never sees them), the authorization code
// comes back to a loopback redirect URI served by this process (RFC 8252 §7.3), and is exchanged at oauth2/token
// with the PKCE code_verifier (RFC 7636, S256). The resulting credential-scoped access token stands in for the SAD
// in signatures/signHash (§8.4.4). The hashes travel base64url, comma-separated (§8.4.2), so the token is bound to
// exactly the documents being signed.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CscApi, CscClientError } from './csc_api.ts';

export type OAuthClientConfig = {
  clientId: string;
  /** For confidential clients (client_secret_basic); public clients send only client_id. */
  clientSecret?: string;
  /** A loopback http URI registered for this client, e.g. http://127.0.0.1:8765/callback. Without a port, a
   *  free one is picked (RFC 8252 §7.3: the server must then accept any loopback port). */
  redirectUri: string;
};

export type OAuthEndpoints = { authorizationEndpoint: string; tokenEndpoint: string; parEndpoint?: string };

export type CredentialAuthorizationRequest = {
  credentialID: string;
  hashes: Uint8Array[];
  hashAlgorithmOID: string;
  description?: string;
};

/** Where the OAuth endpoints are (CSC v2 §8.4): `oauth2` is a base URI to which "oauth2/authorize" etc. are
 *  appended; failing that, `oauth2Issuer` is resolved through RFC 8414 metadata. */
export async function discoverOAuth(api: CscApi, fetchImpl: typeof fetch = fetch): Promise<OAuthEndpoints> {
  const info = await api.info();
  if (info.oauth2) {
    const base = info.oauth2.endsWith('/') ? info.oauth2 : `${info.oauth2}/`;
    return {
      authorizationEndpoint: new URL('oauth2/authorize', base).toString(),
      tokenEndpoint: new URL('oauth2/token', base).toString(),
      parEndpoint: new URL('oauth2/pushed_authorize', base).toString(),
    };
  }
  if (info.oauth2Issuer) {
    const issuer = new URL(info.oauth2Issuer);
    const wellKnown = new URL(`/.well-known/oauth-authorization-server${issuer.pathname === '/' ? '' : issuer.pathname}`, issuer);
    const res = await fetchImpl(wellKnown);
    if (!res.ok) throw new CscClientError('oauth2 metadata', res.status, 'invalid_response', `no RFC 8414 metadata at ${wellKnown}`);
    const meta = (await res.json()) as { authorization_endpoint?: string; token_endpoint?: string; pushed_authorization_request_endpoint?: string };
    if (!meta.authorization_endpoint || !meta.token_endpoint) throw new CscClientError('oauth2 metadata', res.status, 'invalid_response', 'metadata without authorization or token endpoint');
    return { authorizationEndpoint: meta.authorization_endpoint, tokenEndpoint: meta.token_endpoint, parEndpoint: meta.pushed_authorization_request_endpoint };
  }
  throw new CscClientError('info', 200, 'unsupported', 'the service offers no OAuth 2.0 authorization server (no oauth2 or oauth2Issuer in info)');
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Waits for the one redirect carrying the code; anything else on the port gets a 404. */
async function loopbackReceiver(redirectUri: string): Promise<{ uri: string; result: Promise<URLSearchParams>; close(): void }> {
  const u = new URL(redirectUri);
  if (u.protocol !== 'http:' || !LOOPBACK.has(u.hostname)) throw new CscClientError('oauth2/authorize', 0, 'invalid_request', 'the redirect URI must be http on a loopback address (RFC 8252 §7.3)');
  let resolve!: (p: URLSearchParams) => void;
  const result = new Promise<URLSearchParams>((r) => (resolve = r));
  const server = http.createServer((req, res) => {
    const got = new URL(req.url ?? '/', `http://${req.headers.host ?? u.host}`);
    if (req.method !== 'GET' || got.pathname !== u.pathname) {
      res.writeHead(404).end();
      return;
    }
    const ok = got.searchParams.has('code');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><title>Signing</title><p>${ok ? 'Authorization received. You can close this window and return to the signing application.' : 'The authorization was not granted. You can close this window.'}</p>`);
    resolve(got.searchParams);
  });
  const host = u.hostname === '[::1]' ? '::1' : u.hostname;
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(u.port ? Number(u.port) : 0, host, () => r());
  });
  const port = (server.address() as AddressInfo).port;
  const uri = u.port ? redirectUri : `${u.protocol}//${u.hostname}:${port}${u.pathname}${u.search}`;
  return { uri, result, close: () => server.close() };
}

export type OAuthAuthorizeOptions = {
  endpoints: OAuthEndpoints;
  client: OAuthClientConfig;
  /** Shows the authorization URL to the user: opens a browser, or prints it. */
  openUrl: (url: string) => void | Promise<void>;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Longer authorization URLs go through oauth2/pushed_authorize (CSC v2 §8.4.3, RFC 9126) instead: CSC v2
   *  Note 15 advises staying under 2083 characters, which some 45 SHA-256 hashes already exceed. */
  maxUrlLength?: number;
};

function clientAuthHeaders(client: OAuthClientConfig): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (client.clientSecret) {
    // RFC 6749 §2.3.1: form-urlencode both parts before Basic.
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
  }
  return headers;
}

/** Runs oauth2/authorize (scope "credential") + oauth2/token; returns the credential-scoped access token. */
export function authorizeCredentialWithOAuth(req: CredentialAuthorizationRequest, opts: OAuthAuthorizeOptions): Promise<{ accessToken: string; expiresIn?: number }> {
  return authorizationCodeFlow(
    {
      scope: 'credential',
      credentialID: req.credentialID,
      numSignatures: String(req.hashes.length),
      hashes: req.hashes.map((h) => Buffer.from(h).toString('base64url')).join(','),
      hashAlgorithmOID: req.hashAlgorithmOID,
      ...(req.description ? { description: req.description } : {}),
    },
    opts,
  );
}

/** Service authorization through OAuth (scope "service", CSC v2 §8.4.2): the user signs in at the service
 *  instead of giving this application a password; the token opens credentials/list and credentials/info. */
export function authorizeServiceWithOAuth(opts: OAuthAuthorizeOptions): Promise<{ accessToken: string; expiresIn?: number }> {
  return authorizationCodeFlow({ scope: 'service' }, opts);
}

async function authorizationCodeFlow(request: Record<string, string>, opts: OAuthAuthorizeOptions): Promise<{ accessToken: string; expiresIn?: number }> {
  const fetchImpl = opts.fetch ?? fetch;
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  const receiver = await loopbackReceiver(opts.client.redirectUri);
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = new URL(opts.endpoints.authorizationEndpoint);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: opts.client.clientId,
      redirect_uri: receiver.uri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      ...request,
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    if (url.toString().length > (opts.maxUrlLength ?? 2000)) {
      if (!opts.endpoints.parEndpoint) throw new CscClientError('oauth2/authorize', 0, 'request_too_long', 'the authorization request is too long for a URL and the service offers no pushed authorization endpoint');
      const res = await fetchImpl(opts.endpoints.parEndpoint, { method: 'POST', headers: clientAuthHeaders(opts.client), body: new URLSearchParams(params).toString() });
      const body = (await res.json().catch(() => ({}))) as { request_uri?: string; error?: string; error_description?: string };
      if (!res.ok || !body.request_uri) throw new CscClientError('oauth2/pushed_authorize', res.status, body.error ?? 'invalid_response', body.error_description ?? 'no request_uri');
      // RFC 9126 §4: only client_id and request_uri go in the browser's URL.
      url.search = new URLSearchParams({ client_id: opts.client.clientId, request_uri: body.request_uri }).toString();
    }
    await opts.openUrl(url.toString());

    const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
    const cb = await Promise.race([
      receiver.result,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CscClientError('oauth2/authorize', 0, 'timeout', `no authorization within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      }),
    ]);
    // RFC 6749 §10.12: a response whose state is not ours is not ours to use.
    if (cb.get('state') !== state) throw new CscClientError('oauth2/authorize', 0, 'invalid_state', 'the redirect carried a different state');
    const code = cb.get('code');
    if (!code) throw new CscClientError('oauth2/authorize', 0, cb.get('error') ?? 'invalid_response', cb.get('error_description') ?? 'no authorization code');

    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: receiver.uri, code_verifier: verifier, client_id: opts.client.clientId });
    const res = await fetchImpl(opts.endpoints.tokenEndpoint, { method: 'POST', headers: clientAuthHeaders(opts.client), body: form.toString() });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    if (!res.ok || !body.access_token) throw new CscClientError('oauth2/token', res.status, body.error ?? 'invalid_response', body.error_description ?? 'no access token');
    return { accessToken: body.access_token, expiresIn: body.expires_in };
  } finally {
    if (timer) clearTimeout(timer);
    receiver.close();
  }
}
