import { defineConfig } from 'vitest/config';

// `npm run test:k8s`: a real single-node Kubernetes cluster (scripts/k8s-cluster.sh). Runs serially.
export default defineConfig({
  test: {
    include: ['test/k8s/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 5_400_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
