import { defineConfig } from 'vitest/config';

// The fleet suite: three Docker hosts in network namespaces reached over ssh (scripts/fleet.sh),
// real OpenTofu, images through a real registry. Runs serially; one fleet for every file
// (test/fleet/setup.ts brings it up and down).
export default defineConfig({
  test: {
    include: ['test/fleet/**/*.fleet.ts'],
    globalSetup: ['test/fleet/setup.ts'],
    testTimeout: 900_000,
    hookTimeout: 1_800_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
