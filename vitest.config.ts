import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests start real processes; give them time, but keep files running in parallel.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Builds the embedded store's template once, before files start Portico processes in parallel.
    globalSetup: ['test/support/global-setup.ts'],
    typecheck: {
      enabled: true,
      include: ['packages/*/src/**/*.test-d.ts'],
      tsconfig: './test/tsconfig.json',
    },
  },
});
