# Sourced by deploy.sh, down.sh and the e2e helpers: engine on PATH, one environment synthesized,
# its secrets loaded as TF_VAR_* (from the process environment or .stackyard/secrets/<env>.env).
root=${root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
tools=${STACKYARD_TOOLS:-$root/.tools}
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
fail() { printf 'stackyard: %s\n' "$*" >&2; exit 1; }
# the Terraform engine: OpenTofu from scripts/engine.sh, or the user's own (TERRAFORM_BINARY_NAME)
tf() { "${TERRAFORM_BINARY_NAME:-tofu}" "$@"; }

use_engine() {
  if [ -n "${STACKYARD_USE_OWN_ENGINE:-}" ] && command -v "${TERRAFORM_BINARY_NAME:-terraform}" >/dev/null; then return; fi
  bash "$root/scripts/engine.sh" >/dev/null || fail "engine installation failed; run npm run engine to see why"
  export PATH="$tools/bin:$PATH" TF_CLI_CONFIG_FILE="$tools/tofurc" TERRAFORM_BINARY_NAME=tofu
}

# synth_one ENV: build and synthesize only that environment into $CDKTF_OUTDIR (default cdktf.out)
synth_one() {
  stack_dir="$root/${CDKTF_OUTDIR:-cdktf.out}/stacks/$1"
  rm -f "$stack_dir/cdk.tf.json"   # never act on a stale synthesis
  (cd "$root" && { [ -n "${STACKYARD_SKIP_BUILD:-}" ] || npm run --silent build; } && STACKYARD_ONLY=$1 STACKYARD_QUIET=1 node dist/bin/main.js) || exit 1
  [ -f "$stack_dir/cdk.tf.json" ] || fail "no environment named $1 in ${ENVIRONMENTS_DIR:-environments}/"
}

# with_lock ENV SCRIPT ARGS...: runs the script again holding the environment's lock
# (.stackyard/locks/<env>.lock, flock), so two deploys or downs of one environment on this machine
# never overlap: the orphan reaper of one would remove what the other's apply is creating. The
# lock covers everything from reap to the last apply. A second one fails at once with a clear
# message (STACKYARD_LOCK_TIMEOUT=<seconds> waits instead). OpenTofu's own state lock (a lock
# file for local and S3 state, an advisory lock in pg) also guards each engine command.
with_lock() {
  local env=$1; shift
  [ "${STACKYARD_LOCKED:-}" = "$env" ] && return 0
  local dir="$root/.stackyard/locks" wait=${STACKYARD_LOCK_TIMEOUT:-0} rc=0
  mkdir -p "$dir"
  local how=(-n); [ "$wait" != 0 ] && how=(-w "$wait")
  STACKYARD_LOCKED=$env flock "${how[@]}" -o -E 75 "$dir/$env.lock" bash "$@" || rc=$?
  [ "$rc" = 75 ] && fail "another deploy or down of $env is running on this machine (lock .stackyard/locks/$env.lock is held); nothing was done. Wait for it to finish, or set STACKYARD_LOCK_TIMEOUT=<seconds> to wait for it"
  exit "$rc"
}

# load_secrets ENV [generate|placeholder]: every declared secret must be in TF_VAR_<NAME>; values
# may come from .stackyard/secrets/<env>.env (mode 600, git-ignored). With `generate`, missing ones
# get random values appended there (refused for production environments and for environments
# whose secrets live on GitHub; an existing value is never replaced); with `placeholder` (destroy
# only) secrets get a dummy value that is never stored, but the state passphrase is still needed.
# The decisions are lib/deploy/secrets.ts; values travel NUL-separated through a pipe, never on a
# command line, never printed.
load_secrets() {
  local mode=${2:-require} pairs=() i
  mapfile -d '' -t pairs < <(node "$root/dist/scripts/deploy-steps.js" secrets "$root" "$stack_dir" "$mode" && printf 'STACKYARD_OK\0')
  [ "${#pairs[@]}" -gt 0 ] && [ "${pairs[-1]}" = STACKYARD_OK ] || exit 1
  for (( i = 0; i + 1 < ${#pairs[@]}; i += 2 )); do export "${pairs[i]}=${pairs[i+1]}"; done
}

# steps COMMAND ARGS...: the deploy decisions (scripts/deploy-steps.ts over lib/deploy/)
steps() { node "$root/dist/scripts/deploy-steps.js" "$@"; }
