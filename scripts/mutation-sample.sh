#!/usr/bin/env bash
# `npm run test:mutation:sample [-- FRACTION [SEED]]`: Stryker over a seeded random sample of the
# lines of the files no chunk has measured yet, and the estimate of their score
# (scripts/mutation-sample.ts; README, "Mutation testing"). The sample's patterns, report and
# estimate are kept in /var/tmp/stackyard/stryker/samples/, apart from the chunks' reports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fraction=${1:-0.15}
seed=${2:-1}
samples=/var/tmp/stackyard/stryker/samples
mkdir -p "$samples"
npm run --silent build
name="$samples/sample-$fraction-$seed"
node dist/scripts/mutation-sample.js --pick "$fraction" "$seed" > "$name.patterns"
[ -s "$name.patterns" ] || { echo "every file is measured: nothing to sample"; exit 0; }
echo "mutation sample: $(tr ',' '\n' < "$name.patterns" | wc -l) lines ($name.patterns)"
rm -f reports/mutation/mutation.json
# exit 1 when the score is under the break threshold: the report is still written
npx stryker run --mutate "$(cat "$name.patterns")" || true
[ -s reports/mutation/mutation.json ] || { echo "stryker wrote no report (above)" >&2; exit 1; }
cp reports/mutation/mutation.json "$name.json"
node dist/scripts/mutation-sample.js --estimate "$name.json" "$name.patterns" | tee "$name.txt"
