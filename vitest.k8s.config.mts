import { defineConfig } from 'vitest/config';

// `npm run test:k8s`: a real single-node Kubernetes cluster (scripts/k8s-cluster.sh), up before the
// files and down after them (test/k8s/global-setup.ts). Runs serially.
export default defineConfig({
  test: {
    include: ['test/k8s/**/*.test.ts'],
    globalSetup: ['test/k8s/global-setup.ts'],
    testTimeout: 900_000,
    hookTimeout: 5_400_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
