#!/usr/bin/env bash
# Deploys one environment with `cdktf deploy` on OpenTofu:
#   scripts/deploy.sh <env> [--generate-secrets] [--adopt-orphans] [--migrate-state]
# The decisions (secrets, orphans, what to apply first, failed jobs) are lib/deploy/*.ts, run
# through scripts/deploy-steps.ts; this script runs the engine and holds the environment's lock.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib/stack.sh"
env=${1:?usage: deploy.sh <environment> [--generate-secrets] [--adopt-orphans] [--migrate-state]}
shift
generate="" adopt="" migrate=""
for a in "$@"; do
  case $a in
    --generate-secrets) generate=generate ;;
    --adopt-orphans) adopt=--adopt ;;
    --migrate-state) migrate=--migrate ;;
    *) fail "unknown option $a (expected --generate-secrets, --adopt-orphans, --migrate-state)" ;;
  esac
done
with_lock "$env" "$0" "$env" "$@"
use_engine
synth_one "$env"
# A local state written before state encryption is read once through the `unencrypted` fallback
# and written back encrypted (lib/deploy/encryption.ts); a remote one needs --migrate-state.
migrating=""
if steps needs-migration "$root" "$stack_dir" $migrate; then
  echo "stackyard: the state of $env is not encrypted yet; this deploy encrypts it (read once through the unencrypted fallback)"
  migrating=1
  STACKYARD_MIGRATE_STATE=$env STACKYARD_SKIP_BUILD=1 synth_one "$env"
fi
load_secrets "$env" "$generate"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd "$stack_dir" && tf init -input=false -no-color >"$log" 2>&1) || { tail -20 "$log" >&2; fail "tofu init failed for $env (above)"; }
# the decrypted state only ever travels through a pipe, never into a file
pull() { (cd "$stack_dir" && tf state pull) || fail "could not read the state of $env (above)"; }
reap() { pull | steps reap "$stack_dir" $adopt; }
apply() {
  (cd "$root" && npx cdktf deploy "$env" --skip-synth --skip-provider-lock --auto-approve --output "${CDKTF_OUTDIR:-cdktf.out}") 2>&1 | tee "$log"
}
# the apply failed on a container or network an interrupted deploy left (Docker has it, the state not)
in_the_way() { grep -qE 'is already in use by container|network with name .* already exists' "$log"; }
started=$(date +%s)
reap
# Phase 1, with OpenTofu directly: the one-shot jobs and everything that does not run after one
# (databases, caches, the proxy...), plus -replace of a job that failed in an earlier deploy.
phase_args=$(pull | steps phases "$stack_dir")
first=()
[ -z "$phase_args" ] || mapfile -t first <<<"$phase_args"
if [ ${#first[@]} -gt 0 ]; then
  (cd "$stack_dir" && tf apply -auto-approve -input=false -no-color "${first[@]}" 2>&1 | grep -v -e 'Resource targeting is in effect' -e '^ *$' | tee "$log") || {
    in_the_way && { reap; (cd "$stack_dir" && tf apply -auto-approve -input=false -no-color "${first[@]}"); } || fail "phase 1 failed (a one-shot job, or what it needs); nothing that runs after a job was changed"
  }
fi
if ! apply; then
  # A killed earlier apply can leave a container Docker created but the state never recorded
  # (its provider may even finish creating it after the kill). Remove such orphans, try once more.
  in_the_way || { steps unhealthy "$stack_dir" || true; exit 1; }
  echo "stackyard: a container or network from an interrupted deploy is in the way; removing orphans and retrying once"
  reap
  apply || { steps unhealthy "$stack_dir" || true; exit 1; }
fi
if [ -n "$migrating" ]; then
  # The state is encrypted now: leave the stack folder without the fallback, so a later engine
  # command there (plan, import, state) enforces encryption again instead of accepting a clear state.
  STACKYARD_MIGRATE_STATE="" STACKYARD_SKIP_BUILD=1 synth_one "$env"
  echo "stackyard: the state of $env is encrypted; the unencrypted fallback is gone from $stack_dir"
fi
echo "deployed $env in $(( $(date +%s) - started ))s"
