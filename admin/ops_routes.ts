// What orchestrators and monitoring ask of every process (issue #10 item 5): GET /healthz (the process answers),
// GET /readyz (each part it depends on answers; 503 naming the failing ones, and 503 while draining at shutdown so
// that the load balancer stops sending), GET /metrics (Prometheus text format). None needs a token and none says
// more than part names: the reasons of a failure go to the log. The reverse proxy should not publish /metrics.
import type Koa from 'koa';
import type { Logger } from '../core/log.ts';
import type { Metrics } from '../core/metrics.ts';

/** Each check throws when its part cannot be used. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

const CHECK_TIMEOUT_MS = 2000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms))),
  ]);
}

/** A route label that cannot grow without bound or carry a secret (approval links hold one in their path). */
function routeLabel(path: string, status: number): string {
  if (status !== 404 && /^\/csc\/v[12]\/[a-zA-Z]+(\/[a-zA-Z]+)?$/.test(path)) return path;
  const first = /^\/[a-z0-9]+/.exec(path)?.[0];
  return first && ['/admin', '/oauth2', '/approve', '/csc', '/.well-known'].includes(first) ? first : 'other';
}

export function opsRoutes(deps: { checks: ReadinessChecks; metrics: Metrics; draining(): boolean; log: Logger }): Koa.Middleware {
  const { metrics, log } = deps;
  return async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/healthz') {
      ctx.body = { status: 'alive' };
      return;
    }
    if (ctx.method === 'GET' && ctx.path === '/readyz') {
      if (deps.draining()) {
        ctx.status = 503;
        ctx.body = { status: 'draining' };
        return;
      }
      const names = Object.keys(deps.checks);
      const results = await Promise.allSettled(names.map((n) => within(deps.checks[n]!(), CHECK_TIMEOUT_MS)));
      const checks: Record<string, 'ok' | 'unavailable'> = {};
      results.forEach((r, i) => {
        checks[names[i]!] = r.status === 'fulfilled' ? 'ok' : 'unavailable';
        if (r.status === 'rejected') log.warn({ event: 'readyz', part: names[i], err: (r.reason as Error)?.message }, 'not ready');
      });
      const ready = Object.values(checks).every((c) => c === 'ok');
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? 'ready' : 'unready', checks };
      return;
    }
    if (ctx.method === 'GET' && ctx.path === '/metrics') {
      ctx.type = metrics.registry.contentType;
      ctx.body = await metrics.registry.metrics();
      return;
    }
    await next();
    if (ctx.status >= 400) {
      const body = ctx.body as { error?: unknown } | undefined;
      const error = body && typeof body === 'object' && typeof body.error === 'string' && /^[a-z_]{1,64}$/.test(body.error) ? body.error : 'none';
      metrics.refusals.inc({ status: String(ctx.status), error, route: routeLabel(ctx.path, ctx.status) });
    }
  };
}
