import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/converge/**', 'test/k8s/**', 'node_modules/**'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
