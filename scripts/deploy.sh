#!/usr/bin/env bash
# Alias of `stackyard deploy` (lib/deploy/run.ts; the decisions are lib/deploy/*.ts):
#   scripts/deploy.sh <env> [--generate-secrets] [--adopt-orphans] [--migrate-state]
exec sh "$(dirname "$0")/stackyard.sh" deploy "$@"
