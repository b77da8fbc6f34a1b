import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeSampler, runtimeMetricsRoute, type RuntimeMetrics } from '../../../admin/runtime_metrics.ts';

const TOKEN = 'bench-admin-token-0123456789';
let server: http.Server;
let url: string;
const sampler = new RuntimeSampler();

beforeAll(async () => {
  const app = new Koa();
  app.use(runtimeMetricsRoute({ adminToken: TOKEN, sampler }));
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

  it('reports the event-loop stall seen in the window, and POST starts a new window', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    await fetch(`${url}/admin/runtime-metrics`, { method: 'POST', headers });
    const until = Date.now() + 400;
    while (Date.now() < until) {
      /* block the event loop for ~400 ms */
    }
    await new Promise((r) => setTimeout(r, 30));
    const stalled = (await (await fetch(`${url}/admin/runtime-metrics`, { method: 'POST', headers })).json()) as RuntimeMetrics;
    expect(stalled.eventLoopDelayMaxMs).toBeGreaterThanOrEqual(350);
    expect(stalled.peakRssBytes).toBeGreaterThanOrEqual(stalled.rssBytes * 0.5);
    expect(stalled.pid).toBe(process.pid);
    const after = (await (await fetch(`${url}/admin/runtime-metrics`, { headers })).json()) as RuntimeMetrics;
    // The window restarted: the 400 ms stall is no longer in it (margin for a busy CI machine).
    expect(after.eventLoopDelayMaxMs).toBeLessThan(350);
  });

  it('leaves other paths and methods to the next middleware', async () => {
    expect((await fetch(`${url}/admin/users`)).status).toBe(404);
    const del = await fetch(`${url}/admin/runtime-metrics`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await del.json()).toEqual({ next: true });
  });
});
