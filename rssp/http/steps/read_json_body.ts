// CSC v2 §7.1: a method's parameters are a JSON object in the body. The body is read with a hard size limit, must
// be declared as application/json when there is one, and must be a JSON object; an empty body means {} (info and
// credentials/list are often called without one).
import type { IncomingMessage } from 'node:http';
import { CscError } from '../../../core/errors.ts';
import type { Step } from '../step.ts';

/** 1 MiB: far above any legitimate CSC request (a signHash of a few thousand SHA-512 digests), far below harm. */
export const BODY_LIMIT = 1024 * 1024;

// Ask the client to close: the rest of an oversized body is not worth reading.
const tooLarge = () => new CscError('bodyTooLarge', { headers: { Connection: 'close' } });

function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      fn();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.resume(); // discard the rest without buffering it
        finish(() => reject(tooLarge()));
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish(() => resolve(Buffer.concat(chunks))));
    req.once('error', (err) => finish(() => reject(new CscError('invalidRequest', { description: 'The request body could not be read', cause: err }))));
    req.once('close', () => finish(() => reject(new CscError('invalidRequest', { description: 'The request body was not received completely' }))));
  });
}

/** The path of the first string holding U+0000, which PostgreSQL cannot store in text (found by the fuzzer of issue
 *  #10 item 7: a NUL in a lookup parameter made a 500). No CSC parameter can legitimately carry one. */
function nulAt(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object' || depth > 32) return null;
  for (const [k, v] of Object.entries(value)) {
    const found = nulAt(v, path ? `${path}.${k}` : k, depth + 1) ?? (k.includes('\u0000') ? path || k : null);
    if (found !== null) return found;
  }
  return null;
}

function isJsonMediaType(contentType: string): boolean {
  return contentType.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

export function readJsonBody(limit = BODY_LIMIT): Step {
  return async (ctx) => {
    const raw = await readRaw(ctx.req, limit);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw).trim();
    } catch {
      throw new CscError('notJson');
    }
    if (text === '') {
      ctx.state.body = {};
      return;
    }
    if (!isJsonMediaType(ctx.get('Content-Type'))) throw new CscError('unsupportedMediaType');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CscError('notJson');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CscError('notJson');
    const nul = nulAt(parsed, '');
    if (nul !== null) throw new CscError('invalidRequest', { description: `Invalid parameter ${nul.split('.')[0]}: NUL characters are not allowed` });
    ctx.state.body = parsed as Record<string, unknown>;
  };
}
