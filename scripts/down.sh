#!/usr/bin/env bash
# Alias of `stackyard down` (lib/deploy/run.ts): scripts/down.sh [env] [--volumes] [--github] [--yes]
exec sh "$(dirname "$0")/stackyard.sh" down "$@"
