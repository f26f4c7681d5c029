#!/usr/bin/env bash
# Deploys one environment with `cdktf deploy` on OpenTofu:  scripts/deploy.sh <env> [--generate-secrets]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib/stack.sh"
env=${1:?usage: deploy.sh <environment> [--generate-secrets]}
use_engine
synth_one "$env"
load_secrets "$env" "$([ "${2:-}" = --generate-secrets ] && echo generate)"
reap() {
  (cd "$stack_dir" && tofu init -input=false -no-color >/dev/null && tofu state pull 2>/dev/null | node "$root/scripts/reap-orphans.js" cdk.tf.json) \
    || fail "could not read the state of $env"
}
apply() {
  (cd "$root" && npx cdktf deploy "$env" --skip-synth --skip-provider-lock --auto-approve --output "${CDKTF_OUTDIR:-cdktf.out}") 2>&1 | tee "$log"
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$(date +%s)
reap
# One-shot jobs first, alone (with what they need): a failing job then fails the deploy before
# Terraform replaces anything that runs after it, as compose's service_completed_successfully does.
jobs=$(node -e '
  const c = (require(process.argv[1]).resource || {}).docker_container || {};
  console.log(Object.keys(c).filter((k) => (c[k].labels || []).some((l) => l.label === "stackyard.kind" && l.value === "job")).map((k) => "-target=docker_container." + k).join(" "));
' "$stack_dir/cdk.tf.json")
if [ -n "$jobs" ]; then
  echo "stackyard: running one-shot jobs first: ${jobs//-target=docker_container./}"
  # shellcheck disable=SC2086
  (cd "$stack_dir" && tofu apply -auto-approve -input=false -no-color $jobs 2>&1 | grep -v -e 'Resource targeting is in effect' -e '^ *$' | tee "$log") || {
    grep -q 'is already in use by container' "$log" && { reap; (cd "$stack_dir" && tofu apply -auto-approve -input=false -no-color $jobs); } || fail "a one-shot job failed; nothing that runs after it was changed"
  }
fi
if ! apply; then
  # A killed earlier apply can leave a container Docker created but the state never recorded
  # (its provider may even finish creating it after the kill). Remove such orphans, try once more.
  grep -q 'is already in use by container' "$log" || exit 1
  echo "stackyard: a container from an interrupted deploy is in the way; removing orphans and retrying once"
  reap
  apply || exit 1
fi
echo "deployed $env in $(( $(date +%s) - started ))s"
