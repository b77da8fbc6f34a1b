// Every CSC call gets a request id (the caller's X-Request-Id when it is a sane token, so that a signature
// application can correlate its logs with ours; otherwise a random one) and the RequestContext the SAM writes
// into its audit rows.
import { randomUUID } from 'node:crypto';
import type { CscContext } from './step.ts';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_USER_AGENT = 512;

export function assignRequestContext(ctx: CscContext): void {
  const given = ctx.get('X-Request-Id');
  const requestId = SANE_REQUEST_ID.test(given) ? given : randomUUID();
  ctx.set('X-Request-Id', requestId);
  const userAgent = ctx.get('User-Agent');
  ctx.state.request = {
    requestId,
    sourceIp: ctx.ip || undefined,
    userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT) : undefined,
  };
  ctx.state.body = {};
}
