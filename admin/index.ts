// The admin API's front door for the composition root (service.ts). Admin is a door of its own, not a room of rssp
// or authz: it sits on a listener of its own (ADMIN_LISTEN) behind its own token, and it drives the three other parts
// only through what they expose — the SAM's port, authz's users, OAuth clients and keys, rssp's credential use cases
// (DESIGN §6: admin goes through the same ports as the API). Mounted inside one of them, that part would have to
// reach the others. Given only its own configuration (core/config.ts AdminConfig): never the SAM's PIN.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type Koa from 'koa';
import type { AdminConfig } from '../core/config.ts';
import type { AdminDeps } from './handlers.ts';
import { adminRoutes } from './http.ts';
import { RuntimeSampler, runtimeMetricsRoute } from './runtime_metrics.ts';

/** Liveness, readiness (/healthz, /readyz) and /metrics: served by every process, the SAM's alone included. */
export { opsRoutes, type ReadinessChecks } from './ops_routes.ts';

export type Admin = {
  /** The bearer token of the admin API: ADMIN_TOKEN, or (development) one generated once under DATA_DIR. */
  token: string;
  /** In order: /admin/runtime-metrics when RUNTIME_METRICS=1, then the admin API under /admin/. */
  middleware: Koa.Middleware[];
  close(): Promise<void>;
};

/** A secret given in the configuration, or (development only) one generated once and kept under DATA_DIR. */
function devSecret(dataDir: string, file: string): string {
  const p = path.join(dataDir, file);
  if (existsSync(p)) return readFileSync(p, 'utf8').trim();
  const value = randomBytes(32).toString('base64url');
  writeFileSync(p, value + '\n', { mode: 0o600 });
  chmodSync(p, 0o600);
  return value;
}

export function createAdmin(config: AdminConfig, deps: Omit<AdminDeps, 'adminToken' | 'production' | 'publicUrl'>): Admin {
  const token = config.admin.token ?? devSecret(config.dataDir, 'admin-token');
  const production = config.env === 'production';
  const middleware: Koa.Middleware[] = [];
  let sampler: RuntimeSampler | undefined;
  if (config.runtimeMetrics) {
    sampler = new RuntimeSampler();
    middleware.push(runtimeMetricsRoute({ adminToken: token, sampler }));
  }
  middleware.push(
    adminRoutes({
      ...deps,
      adminToken: token,
      // The outbox holds live one-time passwords and approval links: never served in production.
      outbox: production ? undefined : deps.outbox,
      // In production the operator never sets a PIN or receives a TOTP seed: activation links do (issue #14 finding 1).
      production,
      publicUrl: config.publicUrl,
    }),
  );
  return { token, middleware, close: async () => sampler?.stop() };
}
