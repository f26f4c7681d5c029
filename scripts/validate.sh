#!/usr/bin/env bash
# `tofu init` + `tofu validate` of every synthesized stack (all environments, all examples)
# against the real provider schemas, served from the local mirror scripts/engine.sh built.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${STACKYARD_TOOLS:-$root/.tools}
cd "$root"
if [ -z "${STACKYARD_USE_OWN_ENGINE:-}" ] || ! command -v tofu >/dev/null; then
  bash scripts/engine.sh >/dev/null
  export PATH="$tools/bin:$PATH" TF_CLI_CONFIG_FILE="$tools/tofurc"
fi
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dirs=(environments)
for d in examples/*/; do [ -d "$d" ] && dirs+=("${d%/}"); done
failed=0; count=0
for d in "${dirs[@]}"; do
  ENVIRONMENTS_DIR=$d CDKTF_OUTDIR="$out/$(echo "$d" | tr / _)" STACKYARD_QUIET=1 node dist/bin/main.js
done
for stack in "$out"/*/stacks/*/; do
  name=${stack#"$out"/}; name=${name%/}
  count=$((count+1))
  if (cd "$stack" && tofu init -backend=false -input=false -no-color >init.log 2>&1 && tofu validate -no-color >validate.log 2>&1); then
    printf 'ok      %s\n' "$name"
  else
    failed=$((failed+1))
    printf 'FAILED  %s\n' "$name"
    cat "$stack/init.log" "$stack/validate.log" 2>/dev/null | sed 's/^/    /' | tail -40
  fi
done
echo "$count stack(s) validated, $failed failed"
[ "$failed" = 0 ]
