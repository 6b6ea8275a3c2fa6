import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // 2-core machines: more workers only fight over the CPU the broker and registry need.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'src/**/*.test.ts'],
          environment: 'node',
          // Some unit tests recompute 200k events; on a loaded 2-core machine 5 s is not enough.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          // chDB is one engine per process: every test file gets its own process, its own data
          // directory, its own databases and its own topics.
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
