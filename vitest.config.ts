import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests start real processes; give them time, but keep files running in parallel.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    typecheck: {
      enabled: true,
      include: ['packages/*/src/**/*.test-d.ts'],
      tsconfig: './test/tsconfig.json',
    },
  },
});
