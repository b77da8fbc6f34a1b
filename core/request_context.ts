// The RequestContext that audit rows carry, read the same way on every edge (CSC API, OAuth endpoints and pages,
// admin API): the caller's X-Request-Id when it is a sane token (so that a signature application can correlate its
// logs with ours), otherwise a random one; the source IP as Koa resolved it (TRUST_PROXY); a bounded user agent.
import { randomUUID } from 'node:crypto';
import type { RequestContext } from './sam_port.ts';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_USER_AGENT = 512;

/** Anything that reads request headers and knows the source IP: a Koa context, or oidc-provider's. */
export type RequestLike = { get?(name: string): string | undefined; ip?: string };

export function requestContextOf(req: RequestLike | undefined): RequestContext {
  const given = req?.get?.('X-Request-Id') ?? '';
  const userAgent = req?.get?.('User-Agent') ?? '';
  return {
    requestId: SANE_REQUEST_ID.test(given) ? given : randomUUID(),
    sourceIp: req?.ip || undefined,
    userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT) : undefined,
  };
}
