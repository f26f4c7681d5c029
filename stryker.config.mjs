// Mutation testing of the fast suite (`npm run test:mutation`; see README, "Mutation testing").
// The vitest suite imports lib/ and constructs/ as TypeScript (vite transforms them), so Stryker
// mutates those .ts sources in its sandbox and every in-process test sees the mutant. Tests that
// spawn `node dist/...` (CLI exit codes, determinism) run the unmutated build and kill nothing;
// they are kept in the run (the dry run must pass) but per-test coverage leaves them out.
// Not in .ci/run: a full run takes far longer than CI's budget on two cores.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.mts' },
  coverageAnalysis: 'perTest',
  // Run in the sandbox after Stryker instruments lib/ and constructs/: records their hash as the
  // build's (dist/.source-hash), so the tests that spawn `node dist/...` run the unmutated build
  // copied from the checkout instead of recompiling the instrumented sources (bin/stackyard.ts
  // rebuilds when the sources changed), and the test that the checkout's build is current holds.
  buildCommand: 'node dist/scripts/build-stamp.js',
  // Static mutants (code run when a module loads, or by a test file's top-level synth) would run
  // the whole suite each; a full run with them does not finish in an afternoon on two cores.
  // They are ignored here; the security-relevant run includes its own few static mutants
  // (stryker.security.config.mjs, npm run test:mutation:security).
  ignoreStatic: true,
  // Reuses earlier results for mutants whose code and covering tests did not change. Kept outside
  // the clone, beside the other caches, so a fresh clone or another session (and a run scoped with
  // --mutate, whose results are merged with the earlier ones) starts from what was measured.
  incremental: true,
  incrementalFile: '/var/tmp/stackyard/stryker/incremental.json',
  mutate: [
    'lib/**/*.ts',
    'constructs/**/*.ts',
    // Swaps Error.captureStackTrace for speed; its only observable effect is synth time
    // (measured by `npm run bench:synth`), and the tests cannot tell a mutant from the original.
    '!lib/trace-capture.ts',
  ],
  // The e2e suite needs Docker and OpenTofu; it is not part of the fast suite Stryker runs.
  ignorePatterns: ['.tools', '.stackyard', '.state', 'cdktf.out', 'coverage', 'reports', 'test/e2e'],
  concurrency: 2,
  // the initial run of the whole suite, instrumented, under nice on the shared machine
  dryRunTimeoutMinutes: 30,
  timeoutMS: 60_000,
  timeoutFactor: 3,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: 80 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
