// The focused mutation run (`npm run test:mutation:focused -- TESTS FILES`): FILES mutated, only
// the test files TESTS run (vitest.stryker.focused.config.mts). Its own incremental file, so a
// result under a few tests is never reused as one under the whole suite, or back.
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: 'vitest.stryker.focused.config.mts' },
  incrementalFile: '/var/tmp/stackyard/stryker/incremental-focused.json',
};
