import { defineConfig } from 'vitest/config';

// The end-to-end suite: real OpenTofu, real Docker engine, real images. Runs serially.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 1_800_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
