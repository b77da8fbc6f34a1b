// Each front door gets a copy of its own keys only (issue #15): the SAM's PIN is in the SAM's copy and nowhere else.
import { describe, expect, it } from 'vitest';
import { configFor, loadConfig } from '../../../core/config.ts';

const config = loadConfig({ NODE_ENV: 'test', SAM_PIN: '1234-secret', PUBLIC_URL: 'https://csc.example.test' });

describe('configFor', () => {
  it('gives rssp, authz and admin exactly their keys, none of them the SAM section', () => {
    expect(Object.keys(configFor(config, 'rssp')).sort()).toEqual(['env', 'publicUrl', 'rssp']);
    expect(Object.keys(configFor(config, 'authz')).sort()).toEqual(['authz', 'env', 'publicUrl', 'purge']);
    expect(Object.keys(configFor(config, 'admin')).sort()).toEqual(['admin', 'dataDir', 'env', 'publicUrl', 'runtimeMetrics']);
    for (const part of ['rssp', 'authz', 'admin'] as const) expect(JSON.stringify(configFor(config, part))).not.toContain('1234-secret');
  });

  it('gives the SAM its section with the PIN, the notifier and the audit settings', () => {
    const sam = configFor(config, 'sam');
    expect(Object.keys(sam).sort()).toEqual(['dataDir', 'env', 'purge', 'sam']);
    expect(sam.sam.pin).toBe('1234-secret');
    expect(sam.sam.audit.checkpointRecords).toBe(1000);
    expect(sam.sam.notify).toEqual({});
  });

  it('keeps each value as loadConfig made it', () => {
    expect(configFor(config, 'rssp').rssp).toBe(config.rssp);
    expect(configFor(config, 'authz').publicUrl).toBe('https://csc.example.test');
  });
});
