// ensureDevToken on a machine without SoftHSM: the search of core/config.ts is replaced so that it finds nothing.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../../core/config.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../core/config.ts')>()),
  findSoftHsm: () => undefined,
}));

const { ensureDevToken } = await import('../../../softhsm-config/dev_token.ts');
const { ConfigError } = await import('../../../core/config.ts');

describe('ensureDevToken without SoftHSM', () => {
  it('says how to install it and writes nothing', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'no-softhsm-'));
    try {
      const err = await ensureDevToken({ dataDir, label: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toBe('SoftHSM2 not found: apt-get install softhsm2');
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
