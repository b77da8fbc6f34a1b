import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../core/config.ts';

describe('CLUSTER_WORKERS and RUNTIME_METRICS', () => {
  it('default to one process and no metrics route', () => {
    const c = loadConfig({});
    expect(c.clusterWorkers).toBe(1);
    expect(c.runtimeMetrics).toBe(false);
  });

  it('refuse a cluster on the embedded stores, which live in one process', () => {
    expect(() => loadConfig({ CLUSTER_WORKERS: '2' })).toThrow(ConfigError);
    expect(() => loadConfig({ CLUSTER_WORKERS: '2', DATABASE_URL: 'postgres://db/x' })).toThrow(
      'CLUSTER_WORKERS > 1 needs DATABASE_URL and REDIS_URL: the embedded stores live in one process',
    );
    const c = loadConfig({ CLUSTER_WORKERS: '2', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://kv:6379', RUNTIME_METRICS: '1' });
    expect(c.clusterWorkers).toBe(2);
    expect(c.runtimeMetrics).toBe(true);
  });

  it('refuse out-of-range or non-numeric values', () => {
    expect(() => loadConfig({ CLUSTER_WORKERS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ CLUSTER_WORKERS: 'many' })).toThrow(ConfigError);
    expect(() => loadConfig({ RUNTIME_METRICS: 'yes' })).toThrow(ConfigError);
  });
});
