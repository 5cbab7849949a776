import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests start real processes; give them time, but keep files running in parallel.
    // On two busy cores one Portico start alone can take 10-20 s (the helpers wait up to 60 s for
    // it), and a test starts several processes: a 30 s budget failed there while nothing was wrong.
    testTimeout: 120_000,
    hookTimeout: 120_000,
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
