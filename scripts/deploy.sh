#!/usr/bin/env bash
# Deploys one environment with `cdktf deploy` on OpenTofu:  scripts/deploy.sh <env> [--generate-secrets]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib/stack.sh"
env=${1:?usage: deploy.sh <environment> [--generate-secrets]}
use_engine
synth_one "$env"
load_secrets "$env" "$([ "${2:-}" = --generate-secrets ] && echo generate)"
cd "$root"
started=$(date +%s)
npx cdktf deploy "$env" --skip-synth --skip-provider-lock --auto-approve --output "${CDKTF_OUTDIR:-cdktf.out}"
echo "deployed $env in $(( $(date +%s) - started ))s"
