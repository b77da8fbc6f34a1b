// The SAM as its own process (SERVICES=sam, DESIGN §4): its port and the audit port over HTTPS with mutual TLS.
// Only a peer whose certificate chains to SAM_TLS_CA and is issued for TLS client authentication gets past the
// handshake and the first check; every call is then validated (./schemas.ts) and handed to the same use cases as
// in-process, so every SCAL2 rule runs here and nowhere else.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { AuditTrail } from '../../core/audit_port.ts';
import { isDatabaseUnavailable } from '../../core/db.ts';
import type { Logger } from '../../core/log.ts';
import { SamError, type SignatureActivation } from '../../core/sam_port.ts';
import { decodeWire, encodeWire, SAM_PATHS, wireError } from '../../core/sam_wire.ts';
import { AUDIT_INPUT, PORT_METHODS } from './schemas.ts';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** Far above any legitimate call (1000 hashes, a certificate chain), far below what could hurt the process. */
const MAX_BODY = 4 * 1024 * 1024;

export type SamTls = { ca: string; cert: string; key: string };

export type SamServer = { url: string; port: number; close(): Promise<void> };

class BadCall extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new BadCall(413, 'body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = encodeWire(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The handshake already refused certificates from another CA; this refuses ours when they are not client certificates
 *  (the SAM's own server certificate, say). */
function peerIsClient(req: IncomingMessage): boolean {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) return false;
  const eku = socket.getPeerCertificate().ext_key_usage;
  return Array.isArray(eku) && eku.includes(CLIENT_AUTH);
}

async function parse<T>(req: IncomingMessage, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }): Promise<T> {
  let value: unknown;
  try {
    value = decodeWire((await readBody(req)) || '{}');
  } catch (err) {
    if (err instanceof BadCall) throw err;
    throw new BadCall(400, 'body is not JSON');
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new BadCall(400, `${i.path.map(String).join('.') || 'body'}: ${i.message}`);
  }
  return r.data;
}

export async function startSamServer(deps: {
  sam: SignatureActivation;
  audit: AuditTrail;
  /** Readiness of the parts the SAM depends on (database, token): each throws when its part cannot be used. */
  checks: Record<string, () => Promise<unknown>>;
  listen: { host: string; port: number };
  tls: SamTls;
  log: Logger;
}): Promise<SamServer> {
  const { log } = deps;
  const methods = new Map<string, (typeof PORT_METHODS)[keyof typeof PORT_METHODS]>(Object.entries(PORT_METHODS));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!peerIsClient(req)) throw new BadCall(403, 'client certificate required');
    const url = req.url ?? '';
    if (url === SAM_PATHS.ready && req.method === 'GET') {
      const failing: string[] = [];
      for (const [part, check] of Object.entries(deps.checks)) {
        await check().catch((err: Error) => {
          failing.push(part);
          log.warn({ event: 'sam.ready', part, err: err.message }, 'SAM not ready');
        });
      }
      return send(res, failing.length ? 503 : 200, failing.length ? { notReady: failing } : { result: null });
    }
    if (req.method !== 'POST') throw new BadCall(405, 'POST only');
    const m = /^\/v1\/(sam|audit)\/([A-Za-z]+)$/.exec(url);
    if (m?.[1] === 'sam') {
      const method = methods.get(m[2]!);
      if (!method) throw new BadCall(404, 'no such method');
      const input = await parse(req, method.input);
      const fn = deps.sam[m[2] as keyof SignatureActivation] as (...a: unknown[]) => Promise<unknown>;
      const result = await fn(...(method.args(input) as unknown[]));
      return send(res, 200, { result: result ?? null });
    }
    if (m?.[1] === 'audit' && m[2] === 'record') {
      await deps.audit.record(await parse(req, AUDIT_INPUT.record));
      return send(res, 200, { result: null });
    }
    if (m?.[1] === 'audit' && m[2] === 'evidence') {
      return send(res, 200, { result: await deps.audit.evidence(await parse(req, AUDIT_INPUT.evidence)) });
    }
    if (m?.[1] === 'audit' && m[2] === 'export') {
      const filter = await parse(req, AUDIT_INPUT.export);
      // JSON Lines, streamed: a trail of any size passes without being held in memory on either side.
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for await (const line of deps.audit.export(filter)) {
        if (!res.write(`${JSON.stringify(line)}\n`)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
      return;
    }
    throw new BadCall(404, 'no such method');
  }

  const server = https.createServer(
    { ca: deps.tls.ca, cert: deps.tls.cert, key: deps.tls.key, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        if (err instanceof SamError) return send(res, 400, wireError(err));
        if (isDatabaseUnavailable(err)) {
          log.error({ event: 'sam.call.unavailable', path: req.url, err: (err as Error).message }, 'SAM database unavailable');
          return send(res, 503, wireError(new SamError('SAM_STORE_UNAVAILABLE')));
        }
        if (err instanceof BadCall) {
          log.warn({ event: 'sam.call.refused', path: req.url, status: err.status, reason: err.message }, 'SAM call refused');
          return send(res, err.status, { invalid: err.message });
        }
        log.error({ event: 'sam.call.error', path: req.url, err: (err as Error).message }, 'SAM call failed');
        send(res, 500, { internal: true });
      });
    },
  );
  server.keepAliveTimeout = 65_000;
  server.on('tlsClientError', (err) => log.warn({ event: 'sam.tls.refused', reason: err.message }, 'TLS peer refused'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.listen.port, deps.listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = deps.listen.host.includes(':') ? `[${deps.listen.host}]` : deps.listen.host;
  return {
    url: `https://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
