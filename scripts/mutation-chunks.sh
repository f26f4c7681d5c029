#!/usr/bin/env bash
# `npm run test:mutation:chunks [-- FILES_PER_CHUNK]`: the full mutation run of lib/ and
# constructs/ in chunks of a few files (default 4, smallest files first), each chunk's report kept in
# /var/tmp/stackyard/stryker/reports/ (scripts/mutation-score.ts), until every file has a result
# for its current text; then the table. Stop it any time: a finished chunk stays measured, and the
# next start goes on with the files still to do. README, "Mutation testing".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
per=${1:-4}
npm run --silent build
while next=$(node dist/scripts/mutation-score.js --todo "$per"); [ -n "$next" ]; do
  echo "mutation chunk: $next"
  rm -f reports/mutation/mutation.json
  # exit 1 when the chunk's score is under the break threshold: the report is still written
  npx stryker run --mutate "$next" || true
  if [ ! -s reports/mutation/mutation.json ]; then
    echo "stryker wrote no report for: $next (above)" >&2
    exit 1
  fi
  node dist/scripts/mutation-score.js --record reports/mutation/mutation.json "$next"
done
node dist/scripts/mutation-score.js
