// Helpers for the OAuth tests: a signature application's side of CSC v2 §8.4 (PKCE, PAR, token requests), and a
// cookie-keeping user agent that fills the sign-in and signature pages over plain HTTP, as a browser without
// JavaScript would. The browser test drives the same pages in Chromium instead.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, type CryptoKey } from 'jose';
import pg from 'pg';
import { generate } from 'otplib';
import { expect } from 'vitest';
import { ClientRegistry, type NewClient } from '../../authz/oauth/clients.ts';
import { adminApi, type Server } from './harness.ts';

// The admin API helper lives in harness.ts; re-exported for the OAuth tests that take it from here.
export { adminApi };

export const REDIRECT = 'http://127.0.0.1:9/callback';
export const SHA256 = '2.16.840.1.101.3.4.2.1';

export const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
export const digest = (s: string) => createHash('sha256').update(s).digest();

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function registerClient(c: NewClient) {
  const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  try {
    return await new ClientRegistry(db).create(c);
  } finally {
    await db.end();
  }
}

export async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    return (await db.query<T>(text, values)).rows;
  } finally {
    await db.end();
  }
}

export type Signer = { username: string; password: string; otpSecret: string; credentialID: string; pin: string; lastStep?: number };

/** The SAM accepts each TOTP step once per user, and only steps after the last one used, within ±1 step of now.
 *  This picks the next usable step, waiting for the clock when the three around now are spent. The previous step is
 *  used only early enough in the current one: in its last 3 seconds the code could reach the server after the
 *  boundary, when the previous step has left the window (as harness.ts totp() does). */
export async function nextOtp(s: Signer): Promise<string> {
  const nowStep = () => Math.floor(Date.now() / 30_000);
  const lowest = (Date.now() / 1000) % 30 > 27 ? nowStep() : nowStep() - 1;
  let step = Math.max((s.lastStep ?? -Infinity) + 1, lowest);
  while (step > nowStep() + 1) await new Promise((r) => setTimeout(r, 500));
  s.lastStep = step;
  return generate({ secret: s.otpSecret, epoch: step * 30 + 1 });
}

let seq = 0;
/** A user with a TOTP enrolment and an ES256 credential (SCAL 2). */
export async function newSigner(server: Server, opts: { multisign?: number } = {}): Promise<Signer> {
  const username = `oauth${process.pid}x${++seq}x${Date.now().toString(36)}`;
  const password = 'correct horse battery';
  await adminApi(server, 'POST', '/admin/users', { username, password, name: `Signer ${seq}` });
  const otp = await adminApi(server, 'POST', `/admin/users/${username}/otp`);
  const cred = await adminApi(server, 'POST', `/admin/users/${username}/credentials`, {
    algo: 'ES256', pin: '246810', multisign: opts.multisign ?? 5, authMode: 'oauth2code',
  });
  return { username, password, otpSecret: otp.secret, credentialID: cred.credentialID, pin: '246810' };
}

/** A user agent with a cookie jar (names only: the pages of one server). */
export class Agent {
  cookies = new Map<string, string>();
  constructor(readonly server: Server) {}

  private store(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      const expired = attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(new URL(url, this.server.url), { ...init, headers, redirect: 'manual' });
    this.store(res);
    return res;
  }

  post(url: string, form: Record<string, string>): Promise<Response> {
    return this.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  }
}

export type Outcome =
  | { kind: 'callback'; url: URL; params: URLSearchParams }
  | { kind: 'page'; status: number; html: string; url: string };

/** Follows redirects within the server until the redirect to the client, or a page to fill. */
export async function follow(agent: Agent, start: string): Promise<Outcome> {
  let url = start;
  for (let i = 0; i < 12; i++) {
    if (url.startsWith(REDIRECT) || url.startsWith('http://127.0.0.1:9/')) {
      const u = new URL(url);
      return { kind: 'callback', url: u, params: u.searchParams };
    }
    const res = await agent.request(url);
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, new URL(url, agent.server.url)).toString();
      continue;
    }
    return { kind: 'page', status: res.status, html: await res.text(), url };
  }
  throw new Error('too many redirects');
}

export const formAction = (html: string) => /<form method="post" action="([^"]+)"/.exec(html)?.[1];
export const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** Submits a page's form and follows on. */
export async function submit(agent: Agent, page: Outcome, fields: Record<string, string>): Promise<Outcome> {
  if (page.kind !== 'page') throw new Error('no page to submit');
  const action = formAction(page.html);
  if (!action) throw new Error(`no form on the page (${page.status}): ${page.html.slice(0, 500)}`);
  const res = await agent.post(action, { csrf: csrfOf(page.html), ...fields });
  if (res.status >= 300 && res.status < 400) return follow(agent, new URL(res.headers.get('location')!, agent.server.url).toString());
  return { kind: 'page', status: res.status, html: await res.text(), url: action };
}

export function authorizeUrl(server: Server, params: Record<string, string>): string {
  return `${server.url}/oauth2/authorize?${new URLSearchParams(params)}`;
}

/** Runs an authorization request to its callback: signs in, and confirms with PIN + TOTP when asked. */
export async function authorize(
  agent: Agent,
  signer: Signer,
  start: string,
  opts: { pin?: string } = {},
): Promise<Outcome> {
  let out = await follow(agent, start);
  if (out.kind === 'page' && out.html.includes('/login"')) {
    out = await submit(agent, out, { username: signer.username, password: signer.password });
  }
  if (out.kind === 'page' && out.html.includes('/confirm"')) {
    out = await submit(agent, out, { action: 'authorize', pin: opts.pin ?? signer.pin, otp: await nextOtp(signer) });
  }
  return out;
}

export async function token(
  server: Server,
  client: { id: string; secret?: string },
  form: Record<string, string>,
  how: 'basic' | 'post' = 'basic',
  /** e.g. a DPoP proof (RFC 9449 §5). */
  extraHeaders: Record<string, string> = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...extraHeaders };
  const body = new URLSearchParams(form);
  if (client.secret && how === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
  } else if (client.secret) {
    body.set('client_id', client.id);
    body.set('client_secret', client.secret);
  }
  const res = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers, body: body.toString() });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Without a secret the client authenticates in `params` (a private_key_jwt assertion, clientAssertion below). */
export async function par(server: Server, client: { id: string; secret?: string }, params: Record<string, string>, extraHeaders: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/oauth2/pushed_authorize`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(client.secret ? { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` } : {}),
      ...extraHeaders,
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** RFC 7523 §2.2 client authentication by a private_key_jwt assertion (aud = the issuer, as FAPI 2.0 requires), as
 *  form parameters of a token or PAR request. */
export async function clientAssertion(clientId: string, key: { privateKey: CryptoKey; kid: string }, issuer: string): Promise<Record<string, string>> {
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuer(clientId).setSubject(clientId).setAudience(issuer).setJti(randomUUID()).setIssuedAt().setExpirationTime('2m')
    .sign(key.privateKey);
  return { client_id: clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
}
