import { defineConfig } from 'vitest/config';

// `npm run test:converge`: every environment and example applied on the real engine, planned
// again (must be empty), deployed a third time (must change nothing). Stacks run in parallel
// within one worker (they mostly wait on healthchecks); STACKYARD_CONVERGE_PARALLEL tunes it.
export default defineConfig({
  test: {
    include: ['test/converge/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 1_800_000,
    pool: 'forks',
    fileParallelism: false,
    maxConcurrency: Number(process.env.STACKYARD_CONVERGE_PARALLEL ?? 4),
  },
});
