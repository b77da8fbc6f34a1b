import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global_setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: integration files talk to one SoftHSM, one PostgreSQL and one Redis; two workers keep the
    // machine responsive and the suite deterministic.
    pool: 'forks',
    maxWorkers: 2,
  },
});
