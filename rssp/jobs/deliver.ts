// Delivery of a finished job to its response_uri (CSC v2 §11.10: "where the server will notify the signature
// creation operation completion"). The body is what signatures/signPolling would answer, with the responseID that
// names it. One attempt is one POST with its own timeout; a redirect is not followed (the client named one URI,
// and a 3xx could point anywhere); only a 2xx counts as delivered.
import type { JobResult } from './job.ts';

export function callbackBody(responseID: string, result: JobResult): Record<string, unknown> {
  if (result.state === 'done') return { responseID, ...result.body };
  return { responseID, error: result.error.error, error_description: result.error.error_description };
}

/** True when the receiver answered 2xx within `timeoutMs`; false for any other status, a timeout or a network error. */
export async function postResult(uri: string, body: Record<string, unknown>, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(uri, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel().catch(() => {});
    return res.status >= 200 && res.status < 300;
  } catch {
    return false;
  }
}

/** Milliseconds before the attempt after `attempts` failed ones: backoffMs, then twice as long each time. */
export const nextDelay = (attempts: number, backoffMs: number) => backoffMs * 2 ** Math.max(0, Math.min(attempts - 1, 20));
