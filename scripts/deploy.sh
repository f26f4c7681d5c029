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
  (cd "$stack_dir" && tf init -input=false -no-color >/dev/null && tf state pull 2>/dev/null | node "$root/scripts/reap-orphans.js" cdk.tf.json) \
    || fail "could not read the state of $env"
}
apply() {
  (cd "$root" && npx cdktf deploy "$env" --skip-synth --skip-provider-lock --auto-approve --output "${CDKTF_OUTDIR:-cdktf.out}") 2>&1 | tee "$log"
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$(date +%s)
reap
# Phase 1, with OpenTofu directly: the one-shot jobs and everything that does not run after one
# (databases, caches, the proxy...). A failing job then fails the deploy before Terraform replaces
# anything that runs after it, as compose's service_completed_successfully does, and the
# independent services start in parallel with the job's own dependencies.
first=$(node -e '
  const c = (require(process.argv[1]).resource || {}).docker_container || {};
  const isJob = (k) => (c[k].labels || []).some((l) => l.label === "stackyard.kind" && l.value === "job");
  const deps = (k) => (c[k].depends_on || []).map((d) => d.replace(/^docker_container\./, "")).filter((d) => d in c);
  const memo = {};
  const afterJob = (k) => (memo[k] ??= deps(k).some((d) => isJob(d) || afterJob(d)));
  const jobs = Object.keys(c).filter(isJob);
  if (jobs.length) console.log(Object.keys(c).filter((k) => isJob(k) || !afterJob(k)).map((k) => "-target=docker_container." + k).join(" "));
' "$stack_dir/cdk.tf.json")
# From empty nothing runs yet that a failing job could leave half-replaced: one apply is enough.
if [ -n "$first" ] && ! (cd "$stack_dir" && tf state list 2>/dev/null | grep -q '^docker_container\.'); then
  echo "stackyard: nothing deployed yet; jobs run in the single apply (dependents still wait for them)"
  first=""
fi
if [ -n "$first" ]; then
  echo "stackyard: phase 1, one-shot jobs and what does not wait for them: ${first//-target=docker_container./}"
  # shellcheck disable=SC2086
  (cd "$stack_dir" && tf apply -auto-approve -input=false -no-color $first 2>&1 | grep -v -e 'Resource targeting is in effect' -e '^ *$' | tee "$log") || {
    grep -q 'is already in use by container' "$log" && { reap; (cd "$stack_dir" && tf apply -auto-approve -input=false -no-color $first); } || fail "phase 1 failed (a one-shot job, or what it needs); nothing that runs after a job was changed"
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
