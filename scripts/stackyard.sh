#!/bin/sh
# The npm scripts' alias for the `stackyard` command: builds once when dist/ is missing (a clone
# where `npm ci` ran with --ignore-scripts), then runs the compiled command, which rebuilds by
# itself when TypeScript changed (lib/cli/freshness.ts).
root=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$root/dist/bin/stackyard.js" ] || (cd "$root" && npm run --silent build) || exit 1
exec node "$root/dist/bin/stackyard.js" "$@"
