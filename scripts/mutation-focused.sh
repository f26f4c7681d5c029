#!/usr/bin/env bash
# `npm run test:mutation:focused -- TESTS FILES`: Stryker on FILES (comma-separated) with only the
# test files TESTS (comma-separated) run, for files nearly every test covers, where a mutant would
# otherwise run the whole fast suite (stryker.focused.config.mjs). The result is recorded as
# focused, a lower bound of the whole-suite score (scripts/mutation-score.ts; README, "Mutation
# testing"); a later whole-suite run of the same text replaces it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
  echo "usage: npm run test:mutation:focused -- TEST_FILES FILES (each comma-separated), e.g. test/schedules.test.ts lib/docker/scheduler.ts" >&2
  exit 2
fi
tests=$1 files=$2
npm run --silent build
rm -f reports/mutation/mutation.json
# exit 1 when the score is under the break threshold: the report is still written
STACKYARD_MUTATION_TESTS=$tests npx stryker run stryker.focused.config.mjs --mutate "$files" || true
[ -s reports/mutation/mutation.json ] || { echo "stryker wrote no report (above)" >&2; exit 1; }
node dist/scripts/mutation-score.js --record reports/mutation/mutation.json "$files" --tests "$tests"
