import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/{unit,verification,regression,e2e}/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    benchmark: { include: ['tests/bench/**/*.bench.ts'] },
  },
});
