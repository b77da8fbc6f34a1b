// GET /admin/runtime-metrics: the process's own view of its health under load — the longest event-loop stall and
// the peak resident memory since the last reset — for the benchmark (bench/, docs/performance.md). Off unless
// RUNTIME_METRICS=1: it is a measuring aid, not a monitoring API, and it answers only to the admin token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type Koa from 'koa';
import { CSC_ERRORS } from '../core/errors.ts';

export type RuntimeMetrics = {
  /** Longest event-loop delay seen since the reset, ms (perf_hooks histogram, 10 ms resolution of the timer). */
  eventLoopDelayMaxMs: number;
  eventLoopDelayP99Ms: number;
  /** Highest resident set size sampled (every 100 ms) since the reset, bytes. */
  peakRssBytes: number;
  rssBytes: number;
  /** Since the last reset. */
  windowMs: number;
  /** CPU time of the whole process since the last reset (every thread: the event loop, libuv's pool, the PKCS#11
   *  library's own work), seconds. Divided by the window, the cores the service used. */
  cpuSeconds: number;
  pid: number;
};

/** Samples event-loop delay and RSS from the moment it is created; reset() starts a new window. */
export class RuntimeSampler {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private peakRss = process.memoryUsage.rss();
  private since = Date.now();
  private cpuAt = process.cpuUsage();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.histogram.enable();
    this.timer = setInterval(() => this.sampleRss(), 100);
    this.timer.unref();
  }

  read(): RuntimeMetrics {
    this.sampleRss();
    return {
      eventLoopDelayMaxMs: this.histogram.max / 1e6,
      eventLoopDelayP99Ms: this.histogram.percentile(99) / 1e6,
      peakRssBytes: this.peakRss,
      rssBytes: process.memoryUsage.rss(),
      windowMs: Date.now() - this.since,
      cpuSeconds: cpuSince(this.cpuAt),
      pid: process.pid,
    };
  }

  reset(): void {
    this.histogram.reset();
    this.peakRss = process.memoryUsage.rss();
    this.since = Date.now();
    this.cpuAt = process.cpuUsage();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private sampleRss(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakRss) this.peakRss = rss;
  }
}

function cpuSince(at: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(at);
  return (d.user + d.system) / 1e6;
}

/** GET reads the window; POST reads it and starts a new one. Anything else under the path is left to others. */
export function runtimeMetricsRoute(opts: { adminToken: string; sampler: Pick<RuntimeSampler, 'read' | 'reset'> }): Koa.Middleware {
  const expected = createHash('sha256').update(opts.adminToken).digest();
  return async (ctx, next) => {
    if (ctx.path !== '/admin/runtime-metrics') return next();
    const m = /^Bearer ([^\s]+)$/.exec(ctx.get('Authorization'));
    const given = createHash('sha256').update(m?.[1] ?? '').digest();
    ctx.set('Cache-Control', 'no-store');
    if (!(timingSafeEqual(given, expected) && m)) {
      const e = CSC_ERRORS.adminUnauthorized;
      ctx.status = e.status;
      ctx.body = { error: e.error, error_description: e.description };
      return;
    }
    if (ctx.method !== 'GET' && ctx.method !== 'POST') return next();
    ctx.body = opts.sampler.read();
    if (ctx.method === 'POST') opts.sampler.reset();
  };
}
