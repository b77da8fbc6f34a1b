// Delivery of a finished job to its response_uri (CSC v2 §11.10: "where the server will notify the signature
// creation operation completion"). The body is what signatures/signPolling would answer, with the responseID that
// names it. One attempt is one POST with its own timeout; a redirect is not followed (the client named one URI,
// and a 3xx could point anywhere); only a 2xx counts as delivered. In production only public addresses are
// reached (./public_address.ts: no request forgery into the service's own network).
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { JobResult } from './job.ts';
import { isPublicAddress, publicOnlyLookup } from './public_address.ts';

export function callbackBody(responseID: string, result: JobResult): Record<string, unknown> {
  if (result.state === 'done') return { responseID, ...result.body };
  return { responseID, error: result.error.error, error_description: result.error.error_description };
}

/** True when the receiver answered 2xx within `timeoutMs`; false for any other status, a timeout, a network error,
 *  or (publicOnly, in production) a host that is or resolves to no public address (./public_address.ts). */
export async function postResult(uri: string, body: Record<string, unknown>, timeoutMs: number, publicOnly: boolean): Promise<boolean> {
  const url = new URL(uri);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // An address literal is connected to without a lookup: it is judged here.
  if (publicOnly && isIP(host) && !isPublicAddress(host)) return false;
  const payload = Buffer.from(JSON.stringify(body));
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
        timeout: timeoutMs,
        ...(publicOnly ? { lookup: publicOnlyLookup as never } : {}),
      },
      (res) => {
        res.resume(); // the answer's body means nothing; a 3xx is not followed
        resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300);
      },
    );
    const deadline = setTimeout(() => req.destroy(new Error('callback timed out')), timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(new Error('callback timed out')));
    req.on('error', () => resolve(false));
    req.end(payload);
  });
}

/** Milliseconds before the attempt after `attempts` failed ones: backoffMs, then twice as long each time. */
export const nextDelay = (attempts: number, backoffMs: number) => backoffMs * 2 ** Math.max(0, Math.min(attempts - 1, 20));
