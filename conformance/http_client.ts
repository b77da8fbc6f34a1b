// Speaks to the service under test exactly as a signature application would (CSC v2 §7.1: POST, JSON bodies), and
// keeps the raw answer so checks can judge status, media type and body separately.
import { CheckFailed } from './check.ts';

export type HttpAnswer = {
  status: number;
  contentType: string;
  text: string;
  /** The parsed body when it is JSON; undefined otherwise. */
  json: unknown;
  /** The Retry-After header of a 429 or 503, when given. */
  retryAfter?: string;
};

/** A throttled request is retried once when the service asks for a short wait; longer waits are reported. */
const MAX_RETRY_WAIT_SECONDS = 5;

export type Body = { json: unknown } | { raw: string; contentType?: string };

export class CscHttp {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 15_000,
  ) {}

  url(method: string): string {
    return `${this.baseUrl}/${method}`;
  }

  async post(method: string, body: Body, authorization?: string): Promise<HttpAnswer> {
    const first = await this.once(method, body, authorization);
    const wait = Number(first.retryAfter);
    if (first.status !== 429 || !(wait >= 0 && wait <= MAX_RETRY_WAIT_SECONDS)) return first;
    await new Promise((r) => setTimeout(r, wait * 1000 + 100));
    return this.once(method, body, authorization);
  }

  /** GET of a document outside the CSC API (e.g. OAuth metadata, RFC 8414 §3). */
  async get(url: string): Promise<HttpAnswer> {
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs), redirect: 'manual' });
    } catch (err) {
      throw new CheckFailed(`no HTTP answer from GET ${url}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
  }

  private async once(method: string, body: Body, authorization?: string): Promise<HttpAnswer> {
    const headers: Record<string, string> = {
      'content-type': 'raw' in body ? (body.contentType ?? 'application/json') : 'application/json',
      accept: 'application/json',
    };
    if (authorization !== undefined) headers.authorization = authorization;
    let res: Response;
    try {
      res = await fetch(this.url(method), {
        method: 'POST',
        headers,
        body: 'raw' in body ? body.raw : JSON.stringify(body.json),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
    } catch (err) {
      throw new CheckFailed(`no HTTP answer from POST ${method}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const retryAfter = res.headers.get('retry-after') ?? undefined;
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json, ...(retryAfter === undefined ? {} : { retryAfter }) };
  }
}

/** A short, secret-free rendering of an answer for failure messages. */
export function describeAnswer(a: HttpAnswer): string {
  // Tokens and SADs in a body are secrets of the signer: keep them out of reports.
  const redacted = a.text.replace(/"(access_token|refresh_token|SAD)"\s*:\s*"[^"]*"/g, '"$1":"[redacted]"');
  const body = redacted.length > 160 ? `${redacted.slice(0, 160)}…` : redacted;
  return `HTTP ${a.status} ${a.contentType || '(no content type)'} ${body.replace(/\s+/g, ' ')}`;
}
