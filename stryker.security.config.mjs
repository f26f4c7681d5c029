// The security-relevant code (`npm run test:mutation:security`): secrets (delivery, secret-looking
// values), invariants, plan-summary data loss and masking, the fork-PR synth diff, and destroy
// protection. Must leave no survivor (README, "Mutation testing"). The checks inside larger files
// are found by the text of their first and last lines, not by line numbers, so the ranges follow
// the code when it moves; a check whose text is gone stops the run (test/mutation-score.test.ts
// loads this file).
import * as fs from 'node:fs';
import base from './stryker.config.mjs';

/** `file:a-b` for the lines from the one holding `first` to the first one after it holding `last`. */
export function lines(file, first, last = first) {
  const text = fs.readFileSync(new URL(file, import.meta.url), 'utf8').split('\n');
  const a = text.findIndex((l) => l.includes(first));
  const b = a < 0 ? -1 : text.findIndex((l, i) => i >= a && l.includes(last));
  if (a < 0 || b < 0) throw new Error(`stryker.security.config.mjs: ${file} has no line with ${JSON.stringify(a < 0 ? first : last)}; point the range at the check again`);
  return `${file}:${a + 1}-${b + 1}`;
}

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
    // the secret-looking-value check, and the file rules that apply it and keep declared secrets out of env:
    'lib/config/secret-values.ts',
    lines('lib/file-rules.ts', 'function* declaredSecretsInEnv', 'if (ctx.config.secrets.includes(k))'),
    lines('lib/file-rules.ts', "name: 'secrets-not-in-env'", 'instead of giving a value here'),
    lines('lib/file-rules.ts', "name: 'literal-secrets'", "report(p.at, p.message, p.certain ? 'error' : 'warning')"),
    // STACKYARD_DESTROY_DATA and prevent_destroy on data volumes
    lines('lib/docker/render.ts', 'const protect = stack.model.protectVolumes'),
    lines('lib/docker/render.ts', 'lifecycle: protect ?'),
  ],
  // The few static mutants here (constants: STATEFUL_KINDS, the masks, icons, log options) are run
  // too: the tests that load these modules are few enough.
  ignoreStatic: false,
  htmlReporter: { fileName: 'reports/mutation-security/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-security/mutation.json' },
};
