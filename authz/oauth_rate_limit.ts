// Request-rate limits in front of the OAuth server (issue #4 item 4: per client and per IP on the OAuth
// endpoints): every /oauth2/* request counts against its source IP, and against its client when the request names
// one (client_id in the query, as on authorize and the pages' links, or the HTTP Basic client of the token
// endpoint). Load shedding only — the factors typed on the interaction pages are guarded by the failure counters
// that fail closed (authz/login_limiter.ts, the SAM's lockout) — so these fail open when Redis is unreachable.
// Refusals are written as OAuth errors (RFC 6749 §5.2 shape) with Retry-After.
import type Koa from 'koa';
import { CscError } from '../core/errors.ts';
import type { RateLimiter, RatePolicy } from '../core/policy.ts';

const OAUTH_PREFIX = '/oauth2/';

function clientOf(ctx: Koa.Context): string | undefined {
  const q = ctx.query.client_id;
  if (typeof q === 'string' && q !== '') return q;
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(ctx.get('Authorization'));
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const id = decoded.slice(0, Math.max(0, decoded.indexOf(':')));
  // RFC 6749 §2.3.1: the client id is form-urlencoded inside the Basic credentials.
  try {
    return id ? decodeURIComponent(id.replace(/\+/g, ' ')) : undefined;
  } catch {
    return id || undefined;
  }
}

export function oauthRateLimit(limits: { limiter: RateLimiter; policy: RatePolicy }): Koa.Middleware {
  return async (ctx, next) => {
    if (!ctx.path.startsWith(OAUTH_PREFIX)) return next();
    try {
      if (ctx.ip) await limits.limiter.hit(limits.policy.oauthPerIp, ctx.ip);
      const client = clientOf(ctx);
      if (client) await limits.limiter.hit(limits.policy.oauthPerClient, client);
    } catch (err) {
      if (!(err instanceof CscError)) throw err;
      ctx.status = err.status;
      for (const [name, value] of Object.entries(err.headers)) ctx.set(name, value);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { error: err.error, error_description: err.description };
      return;
    }
    return next();
  };
}
