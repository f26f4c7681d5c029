# For a shell of your own (test/deploy-safety.test.ts and secret-versions.test.ts check it): one
# environment synthesized and its secrets loaded as TF_VAR_* (from the process environment or
# .stackyard/secrets/<env>.env). `stackyard deploy`/`down` do all of this in TypeScript
# (lib/deploy/run.ts); the lock, engine and reaper helpers that lived here went with deploy.sh's logic.
root=${root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
tools=${STACKYARD_TOOLS:-$root/.tools}
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
fail() { printf 'stackyard: %s\n' "$*" >&2; exit 1; }

# synth_one ENV: build and synthesize only that environment into $CDKTF_OUTDIR (default cdktf.out)
synth_one() {
  stack_dir="$root/${CDKTF_OUTDIR:-cdktf.out}/stacks/$1"
  rm -f "$stack_dir/cdk.tf.json"   # never act on a stale synthesis
  (cd "$root" && { [ -n "${STACKYARD_SKIP_BUILD:-}" ] || npm run --silent build; } && STACKYARD_ONLY=$1 STACKYARD_QUIET=1 node dist/bin/main.js) || exit 1
  [ -f "$stack_dir/cdk.tf.json" ] || fail "no environment named $1 in ${ENVIRONMENTS_DIR:-environments}/"
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
