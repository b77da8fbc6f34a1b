import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeSampler, runtimeMetricsRoute, type RuntimeMetrics } from '../../../admin/runtime_metrics.ts';

const TOKEN = 'bench-admin-token-0123456789';
let server: http.Server;
let url: string;
const sampler = new RuntimeSampler();

const FIXED: RuntimeMetrics = { eventLoopDelayMaxMs: 42, eventLoopDelayP99Ms: 12, peakRssBytes: 2e8, rssBytes: 1.5e8, windowMs: 5000, cpuSeconds: 3.5, pid: 7 };
/** A stand-in sampler (this is the route's unit test): fixed figures, counted resets. */
const fake = { resets: 0, read: () => FIXED, reset() { this.resets++; } };

beforeAll(async () => {
  const app = new Koa();
  app.use(runtimeMetricsRoute({ adminToken: TOKEN, sampler }));
  // The same route over the fake sampler, under another path prefix.
  const fakeRoute = runtimeMetricsRoute({ adminToken: TOKEN, sampler: fake });
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/fake/')) return next();
    const original = ctx.path;
    ctx.path = original.replace('/fake/', '/admin/');
    await fakeRoute(ctx, async () => {
      ctx.path = original;
    });
  });
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { next: true };
  });
  server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  sampler.stop();
  await new Promise((r) => server.close(r));
});

describe('runtime metrics route (RUNTIME_METRICS=1, for the benchmark)', () => {
  it('refuses a missing or wrong admin token with the catalogue error', async () => {
    for (const auth of [undefined, 'Bearer wrong', `Basic ${TOKEN}`]) {
      const res = await fetch(`${url}/admin/runtime-metrics`, { headers: auth ? { authorization: auth } : {} });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'Missing or invalid admin token' });
    }
  });

  it('GET reads the window, POST reads it and starts a new one', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    const before = fake.resets;
    const got = (await (await fetch(`${url}/fake/runtime-metrics`, { headers })).json()) as RuntimeMetrics;
    expect(got).toEqual(FIXED);
    expect(fake.resets).toBe(before);
    const posted = await fetch(`${url}/fake/runtime-metrics`, { method: 'POST', headers });
    expect(posted.headers.get('cache-control')).toBe('no-store');
    expect(await posted.json()).toEqual(FIXED);
    expect(fake.resets).toBe(before + 1);
  });

  it('samples the real process: a window that starts at reset, RSS peaks at least the current RSS', () => {
    sampler.reset();
    const m = sampler.read();
    expect(m.pid).toBe(process.pid);
    expect(m.windowMs).toBeLessThan(1000);
    expect(m.peakRssBytes).toBeGreaterThanOrEqual(m.rssBytes * 0.9);
    expect(m.eventLoopDelayMaxMs).toBeGreaterThanOrEqual(0);
  });

  it('counts the CPU the process spends after a reset, and only after', () => {
    sampler.reset();
    // Spin for 150 ms of this process's own CPU, not of the wall clock: on a loaded machine the process may be
    // descheduled for most of a wall-clock window.
    const at = process.cpuUsage();
    const spent = () => { const u = process.cpuUsage(at); return (u.user + u.system) / 1000; };
    let x = 0;
    while (spent() < 150) for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + 1);
    const m = sampler.read();
    expect(x).toBeGreaterThan(0);
    expect(m.cpuSeconds).toBeGreaterThan(0.1);
    expect(m.cpuSeconds).toBeLessThan(5);
    sampler.reset();
    expect(sampler.read().cpuSeconds).toBeLessThan(0.1);
  });

  it('leaves other paths and methods to the next middleware', async () => {
    expect((await fetch(`${url}/admin/users`)).status).toBe(404);
    const del = await fetch(`${url}/admin/runtime-metrics`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await del.json()).toEqual({ next: true });
  });
});
