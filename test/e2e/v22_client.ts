// A minimal CSC v2.2 client for the black-box tests of /csc/v2.2: every response is checked for
// `Content-Type: application/json` (204 excepted) and validated against openapi/csc-v2.2.yaml. Also opens the
// service's own SoftHSM token from the test process, to count the objects in it through PKCS#11.
import { expect } from 'vitest';
import { type CscV22Operation, validateV22Response } from '../../openapi/validate_v22.ts';
import type { Hsm } from '../../sam/hsm/hsm.ts';
import { openPkcs11Hsm } from '../../sam/hsm/pkcs11/index.ts';
import { ensureDevToken } from '../../softhsm-config/dev_token.ts';
import { admin, type Server, startServer } from './harness.ts';
import { newSigner, REDIRECT, type Signer } from './oauth_harness.ts';

export type V22Response = { status: number; body: any; headers: Headers };

export async function csc22(
  server: Server,
  op: CscV22Operation,
  body: unknown,
  /** `dpop`: the proof for a DPoP-bound `bearer` token, sent with the DPoP scheme (RFC 9449 §7.1). */
  auth?: { bearer?: string; basic?: [string, string]; dpop?: string },
): Promise<V22Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth?.bearer) headers.authorization = `${auth.dpop ? 'DPoP' : 'Bearer'} ${auth.bearer}`;
  if (auth?.dpop) headers.dpop = auth.dpop;
  if (auth?.basic) headers.authorization = `Basic ${Buffer.from(auth.basic.join(':')).toString('base64')}`;
  const res = await fetch(`${server.url}/csc/v2.2/${op}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status === 204) {
    expect(text).toBe('');
    expect(validateV22Response(op, 204, undefined)).toEqual([]);
    return { status: 204, body: undefined, headers: res.headers };
  }
  expect(res.headers.get('content-type'), `${op} ${res.status}`).toMatch(/^application\/json/);
  const parsed = JSON.parse(text);
  expect(validateV22Response(op, res.status, parsed), `${op} ${res.status} ${text}`).toEqual([]);
  return { status: res.status, body: parsed, headers: res.headers };
}

/** The token the service made under its DATA_DIR (embedded defaults), opened by this process with the same PIN.
 *  SoftHSM keeps each object in a file of the token directory and rereads the directory, so objects the service
 *  creates or destroys are seen here. Call before anything else in the process opens a SoftHSM token. */
export async function openServiceToken(server: Server, label = 'rssp-sam'): Promise<Hsm> {
  const token = await ensureDevToken({ dataDir: server.dataDir, label });
  return openPkcs11Hsm({ module: token.module, tokenLabel: label, pin: token.pin, sessions: 1 });
}

/** What the v2.2 OAuth tests start from: a server with embedded defaults (plus `env`), its token opened here, a
 *  confidential client named `clientName` redirecting to REDIRECT, and a signer with a credential. `stop()` closes
 *  both. */
export async function startWalletServer(clientName: string, env: Record<string, string> = {}): Promise<{
  server: Server;
  hsm: Hsm;
  client: { id: string; secret: string };
  signer: Signer;
  stop(): Promise<void>;
}> {
  const server = await startServer(env);
  const hsm = await openServiceToken(server);
  const c = await admin(server, 'client:create', '--name', clientName, '--redirect-uri', REDIRECT);
  expect(c.code, c.stderr).toBe(0);
  const signer = await newSigner(server);
  return {
    server,
    hsm,
    client: { id: c.json.client_id, secret: c.json.client_secret },
    signer,
    async stop() {
      await hsm.close();
      await server.stop();
    },
  };
}
