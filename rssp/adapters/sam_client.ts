// The api tier's side of split mode (SERVICES=api, DESIGN §4): the SAM port and the audit port implemented by calls
// to the SAM process over HTTPS with mutual TLS (sam/http/server.ts). Callers cannot tell it from the in-process SAM:
// the same methods, the same SamError codes. No call is ever retried: a signHash that reached the SAM may have spent
// its SAD, and a second attempt must be the caller's decision.
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import type { AuditLine } from '../../core/audit_chain.ts';
import type { AuditTrail } from '../../core/audit_port.ts';
import { SamError, type SignatureActivation } from '../../core/sam_port.ts';
import { decodeWire, encodeWire, isWireError, SAM_PATHS, samErrorFromWire } from '../../core/sam_wire.ts';

export type SamClientOptions = {
  url: string;
  tls: { ca: string; cert: string; key: string };
  /** Connections kept to the SAM; a call waits for a free one beyond. Default 64. */
  maxSockets?: number;
  /** A call without an answer after this is abandoned (the SAM's outcome is then unknown). Default 60 s. */
  timeoutMs?: number;
};

export type SamClient = SignatureActivation & AuditTrail & { ready(): Promise<void>; close(): void };

/** Transport failures: the SAM cannot be reached, so the HSM behind it cannot either (CSC hsmUnavailable, 503). */
function unreachable(err: Error): SamError {
  return new SamError('SAM_HSM_UNAVAILABLE', `SAM unreachable: ${(err as { code?: string }).code ?? err.message}`, { cause: err });
}

export function createSamClient(opts: SamClientOptions): SamClient {
  const base = new URL(opts.url);
  const agent = new https.Agent({
    ca: opts.tls.ca,
    cert: opts.tls.cert,
    key: opts.tls.key,
    keepAlive: true,
    maxSockets: opts.maxSockets ?? 64,
    minVersion: 'TLSv1.3',
  });
  const timeoutMs = opts.timeoutMs ?? 60_000;

  function request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : encodeWire(body);
    return new Promise((resolve, reject) => {
      const req = https.request(new URL(path, base), {
        method,
        agent,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        timeout: timeoutMs,
      });
      req.on('response', resolve);
      req.on('timeout', () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(unreachable(err)));
      req.end(payload);
    });
  }

  async function readAll(res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    try {
      for await (const c of res) chunks.push(c as Buffer);
    } catch (err) {
      throw unreachable(err as Error);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const res = await request(method, path, body);
    const text = await readAll(res);
    let parsed: unknown;
    try {
      parsed = decodeWire(text);
    } catch {
      throw new Error(`SAM answered ${res.statusCode} with a body that is not JSON`);
    }
    if (res.statusCode === 200) return (parsed as { result?: unknown }).result;
    if (isWireError(parsed)) throw samErrorFromWire(parsed);
    // A refused call (our own bug: a shape the SAM does not accept) or a fault inside the SAM: a server error here.
    throw new Error(`SAM answered ${res.statusCode}: ${(parsed as { invalid?: string }).invalid ?? 'internal error'}`);
  }

  const port = (method: keyof SignatureActivation) => (cmd: unknown) => call('POST', SAM_PATHS.port(method), cmd) as Promise<never>;

  return {
    createCredential: port('createCredential'),
    deleteCredential: port('deleteCredential'),
    createCsr: port('createCsr'),
    installCertificates: port('installCertificates'),
    setEnabled: port('setEnabled'),
    unlock: port('unlock'),
    state: (credentialIDs) => port('state')({ credentialIDs }),
    enrollOtp: port('enrollOtp'),
    activate: port('activate'),
    signHash: port('signHash'),
    getChallenge: port('getChallenge'),
    extendTransaction: port('extendTransaction'),
    requestApproval: port('requestApproval'),
    checkApproval: port('checkApproval'),
    approvalView: port('approvalView'),
    decideApproval: port('decideApproval'),
    revokeSads: port('revokeSads'),
    caCertificate: () => port('caCertificate')({}),
    crl: () => port('crl')({}),
    issueActivation: port('issueActivation'),
    activationView: port('activationView'),
    redeemActivation: port('redeemActivation'),
    sealAuthzSecret: port('sealAuthzSecret'),
    openAuthzSecret: port('openAuthzSecret'),
    timestamp: port('timestamp'),
    record: async (entry) => void (await call('POST', SAM_PATHS.audit('record'), entry)),
    evidence: (q) => call('POST', SAM_PATHS.audit('evidence'), q) as Promise<never>,
    async *export(filter) {
      const res = await request('POST', SAM_PATHS.audit('export'), filter);
      if (res.statusCode !== 200) {
        const text = await readAll(res);
        throw new Error(`SAM answered ${res.statusCode} to the audit export: ${text.slice(0, 200)}`);
      }
      for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
        if (line) yield JSON.parse(line) as AuditLine;
      }
    },
    ready: async () => void (await call('GET', SAM_PATHS.ready)),
    close: () => agent.destroy(),
  };
}
