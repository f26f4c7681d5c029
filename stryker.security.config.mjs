// The security-relevant code (`npm run test:mutation:security`): secrets (delivery, secret-looking
// values), invariants, plan-summary data loss and masking, the fork-PR synth diff, and destroy
// protection. Must leave no survivor (README, "Mutation testing"). Line ranges name the checks
// inside larger files: keep them on the code when it moves.
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate: [
    'lib/invariants.ts',
    'lib/plan/summary.ts',
    'lib/plan/synth-diff.ts',
    // which container changes the docker provider makes by replacement (the synth diff's data-loss caution)
    'lib/docker/replacement.ts',
    'lib/service.ts',
    // the secret-looking-value check and the declared-secret-given-a-value check
    'lib/build.ts:38-40',
    'lib/build.ts:118-126',
    // STACKYARD_DESTROY_DATA and prevent_destroy on data volumes
    'lib/docker/render.ts:30-36',
    'lib/docker/render.ts:110-116',
  ],
  // The few static mutants here (constants: STATEFUL_KINDS, the masks, icons, log options) are run
  // too: the tests that load these modules are few enough.
  ignoreStatic: false,
  htmlReporter: { fileName: 'reports/mutation-security/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-security/mutation.json' },
};
